"""README.txt of an e-dossier package: what it holds and how to check it, in Chinese and English.

Its reader may be a judge of the appeal court, a lawyer or an expert with no
Courtcast at hand, so it says where the court's public key comes from (not from
the package alone) and what each line the verifier prints means.
"""

from __future__ import annotations

_CHINESE = """\
电子卷宗：庭审录音录像
======================

案号：{case_number}
庭审编号：{hearing_id}

本包内容
--------
package.json        法院签名的索引：列出本包每个文件的 SHA-256 与大小
recordings/         每次录制的原始分段（与法院存储中完全相同）及其签名清单 manifest.json
video/              供普通播放器观看的视频（由原始分段重新封装，未重新编码）
hearing.json        案号、法庭、时间（UTC 与法院所在时区）
transcript.json     庭审笔录，含每一行的全部修改记录
markers.json        标记；gaps.json：未录制的时段及原因
public-keys.pem     法院的全部公钥（仅供核对指纹，不能代替向法院取得的公钥）
verify_package.py   单文件核验程序（只需 Python 3.9+ 与 cryptography）

如何核验
--------
1. 向法院取得其公钥：例如法院服务器的 GET /api/v1/keys 中的 public_key_pem，
   或法院正式提供的 PEM 文件，保存为本包以外的 court-keys.pem（包内多出的文件
   会被报告为 EXTRA）。请勿只用包内的公钥：任何人都能放入自己的公钥。
2. 安装 cryptography：pip install cryptography
3. 运行：python3 verify_package.py <本包目录或 .zip 文件> --public-key court-keys.pem
4. 输出以 OK 开头且退出码为 0：索引由法院签名，每个文件与索引一致，每段录像
   与其清单的签名和哈希链一致。否则每个问题一行：
   MISSING 文件缺失；ALTERED 文件被改动；REORDERED 文件内容是另一文件的；
   EXTRA 多出的文件；UNVERIFIED 签名无法核验；FOREIGN 属于其他录制或庭审。

证据是 recordings/ 下的原始分段：录制结束时，法院即以清单对其签名。
video/ 下的视频只为方便观看，其哈希同样列在签名索引中。
"""

_ENGLISH = """\
E-dossier: hearing recordings
=============================

Case number: {case_number}
Hearing: {hearing_id}

What this package holds
-----------------------
package.json        the court's signed index: SHA-256 and size of every file here
recordings/         each recording's segments exactly as archived, and its signed manifest.json
video/              videos for ordinary players, remuxed from the segments (never re-encoded)
hearing.json        case number, courtroom, times (UTC and the court's time zone)
transcript.json     the court record, with every revision of every line
markers.json        markers; gaps.json: times not recorded, and why
public-keys.pem     all of the court's public keys (to compare fingerprints, not to trust alone)
verify_package.py   the single-file verifier (needs only Python 3.9+ and cryptography)

How to check it
---------------
1. Get the court's public key from the court: public_key_pem in GET /api/v1/keys on the
   court's server, or the PEM file the court hands out; save it as court-keys.pem outside
   the package (a file added inside is reported as EXTRA). Do not rely on the key inside the
   package: anyone can put their own key there.
2. Install cryptography: pip install cryptography
3. Run: python3 verify_package.py <this package's folder or .zip> --public-key court-keys.pem
4. A line starting with OK and exit status 0 means: the index is signed by the court, every
   file matches it, and every segment matches its recording's signed manifest and hash
   chain. Otherwise one line per problem: MISSING (a file is gone), ALTERED (changed),
   REORDERED (holds another file's bytes), EXTRA (not in the index), UNVERIFIED (a signature
   does not check out), FOREIGN (belongs to another recording or hearing).

The evidence is the segments under recordings/: the court signed them in the manifest when
the recording stopped. The videos under video/ are for viewing; their hashes are in the
signed index too.
"""


def readme_text(*, hearing_id: str, case_number: str | None, notes: list[str]) -> str:
    fields = {"hearing_id": hearing_id, "case_number": case_number or "-"}
    text = _CHINESE.format(**fields) + "\n" + _ENGLISH.format(**fields)
    if notes:
        text += "\n注 / Notes\n---------\n" + "".join(f"- {note}\n" for note in notes)
    return text
