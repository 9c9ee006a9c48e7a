"""The poster's QR code, as inline SVG (segno, pure Python: no image files, prints sharp)."""
import io

import segno


def svg(url: str) -> str:
    """An <svg> element for `url`; error correction M survives a creased printout."""
    out = io.StringIO()
    segno.make(url, error="m", micro=False).save(out, kind="svg", xmldecl=False, svgns=True,
                                                  scale=8, border=2, svgclass="qr", omitsize=True)
    return out.getvalue()
