"""The poster's QR code, as inline SVG (segno, pure Python: no image files, prints sharp)."""
import segno


def svg(url: str) -> str:
    """An <svg> element for `url`; error correction M survives a creased printout."""
    return segno.make(url, error="m", micro=False).svg_inline(
        scale=8, border=2, svgclass="qr", omitsize=True, title="QR")
