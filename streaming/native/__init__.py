"""The per-packet receive path in C (cffi, API mode): `rx.Rx` wraps one context,
`receive_path.NativeReceivePath` is the `ReceivePath` over it. The extension `_rx` is built
by setup.py where a C compiler exists; streaming/receive_path.py falls back to Python."""
