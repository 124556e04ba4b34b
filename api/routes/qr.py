"""QR codes of publish links, drawn by the server so the desk page needs no script library.

The text (a publish link carries a camera's token in its fragment) travels in the request
body, never in a URL, so it stays out of access logs and browser history; the audit trail
records only the route. Error correction is the highest level that fits the smallest
symbol: a phone's camera reads a small, robust code from a screen or a printout.
"""

from __future__ import annotations

import io

import segno
from fastapi import APIRouter, HTTPException, Response, status

from api.deps import Operator
from api.schemas.qr import QrIn

router = APIRouter(prefix="/api/v1/qr", tags=["qr"])

QUIET_ZONE = 4  # modules of light margin ISO/IEC 18004 asks for around the symbol
SVG = "image/svg+xml"


def qr_svg(text: str) -> bytes:
    """An SVG with a viewBox (it scales to any size): black modules on white, quiet zone
    included. ValueError when the text does not fit the largest symbol."""
    try:
        code = segno.make(text, error="l", micro=False)
    except segno.DataOverflowError as exc:
        raise ValueError("the text is too long for a QR code") from exc
    svg = io.BytesIO()
    code.save(
        svg,
        kind="svg",
        border=QUIET_ZONE,
        dark="#000",
        light="#fff",
        xmldecl=False,
        omitsize=True,
        svgclass=None,
        lineclass=None,
    )
    return svg.getvalue()


@router.post(
    "",
    response_class=Response,
    responses={200: {"content": {SVG: {}}, "description": "the QR code as SVG"}},
)
async def qr_code(body: QrIn, _: Operator) -> Response:
    try:
        return Response(qr_svg(body.text), media_type=SVG)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
