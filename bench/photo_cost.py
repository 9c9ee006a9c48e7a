"""What one photo upload costs the web process: peak memory and CPU of cleaning it.

    python -m bench.photo_cost            # every sample, each in a fresh process; one table
    python -m bench.photo_cost --json     # the same as JSON lines

Each sample is written to a temporary file, then a new Python process loads the
photo code, warms it up on a tiny image, and cleans the sample once
(`community.tickets.photos.clean_photo`, what every upload path calls). It reports
the growth of its peak resident memory (VmHWM, reset just before) and the CPU seconds the
cleaning took (user + system, getrusage), so other work on the machine does not
count. Samples: the decompression bomb of issue 21 (a 6300 x 6300 RGBA PNG of about
154 KB), a 48-megapixel JPEG (8000 x 6000, a phone's high-resolution mode), the
largest lossless images accepted (16 MP without alpha, 8 MP with), a 16 MP RGBA PNG
(refused since issue 21), and JPEGs of 26 MP (5100 x 5100) and 24 MP.
"""
import argparse
import io
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path


def png_bytes(width: int, height: int, mode: str = "RGBA") -> bytes:
    """A real PNG of `width` x `height` (all pixels transparent black), written row by
    row so building it never holds the pixels: what an attacker sends."""
    colour_type, channels = {"RGBA": (6, 4), "RGB": (2, 3), "L": (0, 1)}[mode]

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * (width * channels)  # filter byte 0, then the row
    parts = [packer.compress(row) for _ in range(height)]
    parts.append(packer.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(parts))
            + chunk(b"IEND", b""))


def jpeg_bytes(width: int, height: int) -> bytes:
    """A JPEG with some detail (a gradient), as a camera might make at this size."""
    from PIL import Image

    small = Image.linear_gradient("L").resize((256, 192))
    image = Image.merge("RGB", (small, small.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                                small.rotate(180))).resize((width, height))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


SAMPLES = {
    "png-6300x6300-rgba": lambda: png_bytes(6300, 6300),
    "jpeg-8000x6000-48mp": lambda: jpeg_bytes(8000, 6000),
    "png-4000x4000-rgb-16mp": lambda: png_bytes(4000, 4000, "RGB"),
    "png-4000x4000-rgba-16mp": lambda: png_bytes(4000, 4000),
    "png-2828x2828-rgba-8mp": lambda: png_bytes(2828, 2828),
    "jpeg-5100x5100": lambda: jpeg_bytes(5100, 5100),
    "jpeg-6000x4000-24mp": lambda: jpeg_bytes(6000, 4000),
}


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB
    raise KeyError(field)


def _reset_peak() -> float:
    """Start the peak (VmHWM) afresh at the present size; returns that size in MB.
    (ru_maxrss would not do: it keeps the parent's peak across fork and exec.)"""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_mb("VmRSS")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure_here(path: str) -> dict:
    """Clean the photo at `path` once in this process and report what it cost."""
    from flask import Flask
    from flask_babel import Babel

    from community.core.config import Config
    from community.core.errors import ValidationFailed
    from community.tickets.photos import clean_photo

    app = Flask(__name__)
    app.config.from_object(Config)
    Babel(app)  # the refusals' messages are translated
    raw = Path(path).read_bytes()
    with app.app_context():
        clean_photo(io.BytesIO(jpeg_bytes(64, 48)), "warm-up.jpg")  # imports, codecs, first allocations
        clean_photo(io.BytesIO(png_bytes(64, 48)), "warm-up.png")
        before, before_cpu, started = _reset_peak(), _cpu(), time.perf_counter()
        try:
            photo = clean_photo(io.BytesIO(raw), Path(path).name)
            outcome = f"accepted {photo.width}x{photo.height} {photo.content_type}"
        except ValidationFailed as exc:
            outcome = f"refused: {exc.message}"
        return {"bytes": len(raw), "peak_mb": round(_status_mb("VmHWM") - before, 1),
                "cpu_s": round(_cpu() - before_cpu, 3),
                "wall_s": round(time.perf_counter() - started, 3), "outcome": outcome}


def measure(name: str, data: bytes) -> dict:
    """One sample in a fresh process, so earlier samples' memory does not hide its peak."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        root = Path(__file__).resolve().parents[1]
        answer = subprocess.run([sys.executable, "-m", "bench.photo_cost", "--here", str(path)],
                                cwd=root, capture_output=True, text=True, check=True,
                                env=dict(os.environ, PYTHONPATH=str(root)))
        return {"sample": name, **json.loads(answer.stdout.strip().splitlines()[-1])}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--here", help=argparse.SUPPRESS)  # internal: measure this file in this process
    args = parser.parse_args(argv)
    if args.here:
        print(json.dumps(measure_here(args.here), ensure_ascii=False))
        return
    rows = [measure(name, build()) for name, build in SAMPLES.items()]
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return
    print(f"{'sample':28} {'bytes':>10} {'peak MB':>8} {'CPU s':>7} {'wall s':>7}  outcome")
    for row in rows:
        print(f"{row['sample']:28} {row['bytes']:>10,} {row['peak_mb']:>8} {row['cpu_s']:>7} "
              f"{row['wall_s']:>7}  {row['outcome']}")


if __name__ == "__main__":
    main()
