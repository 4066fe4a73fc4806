"""Generate the image test fixtures used by the sparkdl Scala tests (``io.sparkdl.image``).

Usage::

    python dev/make_image_fixtures.py OUT_DIR

Everything is written into ``OUT_DIR/images``: small image files written by Pillow (PNG, JPEG,
BMP, GIF; gray, gray + alpha, 16-bit gray, RGB, RGBA; one corrupt file), the pixels Pillow decodes
from each, and Pillow's ``Image.resize`` of seeded random images for each resize method, all as
``.npy`` arrays (``height x width x channels``, channels in Pillow's order: L, RGB or RGBA).
Nothing is downloaded; the output is deterministic (fixed seeds) and the script is idempotent:
when ``OUT_DIR/images/.complete`` holds ``VERSION`` it returns at once.  Bump ``VERSION``
whenever a fixture changes.
"""

import argparse
import io
import shutil
import sys
from pathlib import Path

import numpy as np
from make_fixtures import save_npy  # dev/ is this script's own folder, first on sys.path
from PIL import Image

VERSION = "v3"
COMPLETE_MARKER = ".complete"

# sparkdl's resize method names and the Pillow filters they must equal.
METHODS: dict[str, Image.Resampling] = {
    "area": Image.Resampling.BOX,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "nearest": Image.Resampling.NEAREST,
}
# (height, width) of the resize inputs, and the sizes they are resized to: down, up, one axis.
RESIZE_INPUT = (10, 11)
RESIZE_TARGETS = [(4, 5), (13, 17), (10, 5), (6, 11)]


def hwc(image: Image.Image) -> np.ndarray:
    """Pillow's pixels of ``image`` as a ``height x width x channels`` array."""
    array = np.asarray(image)
    return array[:, :, None] if array.ndim == 2 else array


def layout(out_dir: Path) -> None:
    """Pixel (i, j, c) = i*100 + j*10 + c, as uint8 (mod 256) and float32, for 1, 3, 4 channels.

    ``layout_<mode>_u8`` / ``_f32`` hold the image in Pillow's channel order (L, RGB, RGBA);
    ``layout_<mode>_u8_struct`` the bytes of Spark's image struct (BGR(A), as OpenCV stores
    them), made by decoding a PNG of the image with Pillow and reordering its channels.
    """
    h, w = 2, 3
    for mode, channels in [("L", 1), ("RGB", 3), ("RGBA", 4)]:
        i, j, c = np.meshgrid(np.arange(h), np.arange(w), np.arange(channels), indexing="ij")
        values = i * 100 + j * 10 + c
        u8 = (values % 256).astype(np.uint8)
        save_npy(out_dir, f"layout_{mode}_u8", u8)
        save_npy(out_dir, f"layout_{mode}_f32", values.astype(np.float32))
        png = out_dir / f"layout_{mode}.png"
        Image.fromarray(u8[:, :, 0] if channels == 1 else u8, mode).save(png)
        decoded = hwc(Image.open(png))
        bgr = decoded[:, :, [2, 1, 0, 3][:channels]] if channels > 1 else decoded
        save_npy(out_dir, f"layout_{mode}_u8_struct", bgr)


def resize(out_dir: Path) -> None:
    """Seeded random images and Pillow's ``Image.resize`` of them with each method.

    ``resize_in_<mode>`` (uint8 L, RGB, RGBA; float32 F) and
    ``resize_<mode>_<method>_<h>x<w>`` = ``Image.resize((w, h), filter)``.
    """
    rng = np.random.default_rng(7)
    h, w = RESIZE_INPUT
    inputs = {
        "L": rng.integers(0, 256, (h, w, 1), dtype=np.uint8),
        "RGB": rng.integers(0, 256, (h, w, 3), dtype=np.uint8),
        "RGBA": rng.integers(0, 256, (h, w, 4), dtype=np.uint8),
        "F": rng.uniform(-2.0, 3.0, (h, w, 1)).astype(np.float32),
    }
    # Fully transparent and opaque pixels take their own paths through premultiplied alpha.
    inputs["RGBA"][0, :, 3] = 0
    inputs["RGBA"][1, :, 3] = 255
    for mode, array in inputs.items():
        save_npy(out_dir, f"resize_in_{mode}", array)
        image = Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array, mode)
        for method, resample in METHODS.items():
            for th, tw in RESIZE_TARGETS:
                out = image.resize((tw, th), resample)
                save_npy(out_dir, f"resize_{mode}_{method}_{th}x{tw}", hwc(out))


def read_folders(out_dir: Path) -> None:
    """Folders for ``readImages``, with the pixels Pillow decodes from each file.

    ``read_mixed/``: two PNGs and a corrupt file.  ``read_formats/``: JPEG, BMP, GIF, gray,
    gray + alpha, 16-bit gray, RGBA PNGs, and ``sub/nested.png``.  ``decoded_<file>`` holds
    what sparkdl must decode (channels in Pillow's order): Pillow's pixels, with GIF palettes
    expanded to RGB, gray + alpha as RGBA, 16-bit gray scaled to 8 bits.
    """
    rng = np.random.default_rng(11)
    mixed = out_dir / "read_mixed"
    mixed.mkdir()
    for name in ["a.png", "b.png"]:
        Image.fromarray(rng.integers(0, 256, (4, 6, 3), dtype=np.uint8), "RGB").save(mixed / name)
    (mixed / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + rng.bytes(40))

    formats = out_dir / "read_formats"
    (formats / "sub").mkdir(parents=True)
    h, w = 7, 9
    yy, xx = np.mgrid[0:h, 0:w]
    # Smooth color ramps, so that JPEG's loss stays within a few levels.
    smooth = np.stack([xx * 25 + 20, yy * 30 + 10, 200 - xx * 10 - yy * 10], -1).astype(np.uint8)
    noisy = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    gray = rng.integers(0, 256, (h, w), dtype=np.uint8)
    alpha = rng.integers(0, 256, (h, w), dtype=np.uint8)
    gray16 = rng.integers(0, 65536, (h, w), dtype=np.uint16)

    Image.fromarray(smooth, "RGB").save(formats / "photo.jpg", quality=95, subsampling=0)
    Image.fromarray(noisy, "RGB").save(formats / "noisy.bmp")
    Image.fromarray(noisy, "RGB").quantize(16).save(formats / "palette.gif")
    Image.fromarray(gray, "L").save(formats / "gray.png")
    Image.fromarray(np.stack([gray, alpha], -1), "LA").save(formats / "gray_alpha.png")
    Image.fromarray(gray16).save(formats / "gray16.png")
    Image.fromarray(np.dstack([noisy, alpha]), "RGBA").save(formats / "rgba.png")
    Image.fromarray(noisy[::-1], "RGB").save(formats / "sub" / "nested.png")

    decoded = {
        "photo.jpg": hwc(Image.open(formats / "photo.jpg")),
        "noisy.bmp": hwc(Image.open(formats / "noisy.bmp")),
        "palette.gif": hwc(Image.open(formats / "palette.gif").convert("RGB")),
        "gray.png": hwc(Image.open(formats / "gray.png")),
        "gray_alpha.png": hwc(Image.open(formats / "gray_alpha.png").convert("RGBA")),
        "rgba.png": hwc(Image.open(formats / "rgba.png")),
        "nested.png": hwc(Image.open(formats / "sub" / "nested.png")),
    }
    wide = np.asarray(Image.open(formats / "gray16.png")).astype(np.int64)
    decoded["gray16.png"] = ((wide * 255 + 32767) // 65535).astype(np.uint8)[:, :, None]
    for name, array in decoded.items():
        save_npy(out_dir, f"decoded_{name.replace('.', '_')}", array)


def read_refused(out_dir: Path) -> None:
    """``read_refused/``: files Pillow reads or refuses that javax.imageio used to get wrong.

    ``cmyk.jpg`` (a CMYK JPEG, ``decoded_cmyk_jpg`` its pixels as Pillow's ``convert("RGB")``
    gives them), ``truncated.jpg``
    and ``no_eoi.jpg`` (cut in the scan data, and without its end marker: Pillow refuses both),
    ``bilevel.png`` (1-bit gray, Pillow's mode "1") and ``gray2.png`` (2-bit gray, Pillow's "L"),
    with ``decoded_<file>`` their pixels as Pillow's ``convert("L")`` gives them.
    """
    rng = np.random.default_rng(5)
    refused = out_dir / "read_refused"
    refused.mkdir()
    h, w = 16, 24
    yy, xx = np.mgrid[0:h, 0:w]
    smooth = np.stack([xx * 10 + 20, yy * 12 + 10, 200 - xx * 5 - yy * 5], -1).astype(np.uint8)
    Image.fromarray(smooth, "RGB").convert("CMYK").save(refused / "cmyk.jpg", quality=95)
    noisy = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (64, 80, 3), dtype=np.uint8)).save(noisy, "JPEG")
    whole = noisy.getvalue()
    (refused / "truncated.jpg").write_bytes(whole[: len(whole) // 2])
    (refused / "no_eoi.jpg").write_bytes(whole[:-2])
    bits = rng.integers(0, 2, (h, w), dtype=np.uint8) * 255
    Image.fromarray(bits, "L").convert("1").save(refused / "bilevel.png")
    four = (rng.integers(0, 4, (h, w)) * 85).astype(np.uint8)
    Image.fromarray(four, "L").save(refused / "gray2.png", bits=2)
    for name in ["bilevel.png", "gray2.png"]:
        with Image.open(refused / name) as img:
            save_npy(out_dir, f"decoded_{name.replace('.', '_')}", hwc(img.convert("L")))
    with Image.open(refused / "cmyk.jpg") as img:
        save_npy(out_dir, "decoded_cmyk_jpg", hwc(img.convert("RGB")))


FIXTURES = [layout, resize, read_folders, read_refused]


def main(argv: list[str] | None = None) -> int:
    """Generate all image fixtures into ``OUT_DIR/images``.

    Parameters
    ----------
    argv : list[str] or None
        Command-line arguments without the program name; ``sys.argv[1:]`` if None.

    Returns
    -------
    int
        Process exit status.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="fixture directory (images/ is made in it)")
    out_dir: Path = parser.parse_args(argv).out_dir / "images"

    marker = out_dir / COMPLETE_MARKER
    if marker.is_file() and marker.read_text() == VERSION:
        print(f"image fixtures {VERSION} already complete in {out_dir}")
        return 0
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    for make in FIXTURES:
        make(out_dir)
    marker.write_text(VERSION)
    print(f"image fixtures {VERSION} written to {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
