"""Images decoded by TF's own decoders on the JVM, against Pillow (issue 24).

Every file is written by Pillow here; the expected pixels are Pillow's decoding of the same
file, in the image struct's conventions (docs/guide/images.md): gray 1 channel, gray + alpha
and palettes with a transparent color 4 (Pillow's ``convert("RGBA")``), other color 3
(``convert("RGB")``), channels in BGR(A) order; 16-bit gray scaled to 8 bits.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps
from pyspark.sql import functions as F
from sparkdl import DeepImageFeaturizer, models
from sparkdl.image import decode, imageStructToArray, readImages


def photo(h: int, w: int, seed: int) -> np.ndarray:
    """Camera-like content: smooth color waves and sensor noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    waves = []
    for _ in range(3):
        a, b, p = rng.uniform(2, 9, 3)
        waves.append(127 + 120 * np.sin(a * xx + b * yy + p) * np.cos(b * xx - a * yy))
    noisy = np.stack(waves, -1) + rng.normal(0, 6, (h, w, 3))
    return np.clip(noisy, 0, 255).astype(np.uint8)


def struct_order(rgb: np.ndarray) -> np.ndarray:
    """Pillow's pixels (L, RGB, RGBA) in the image struct's layout (gray, BGR, BGRA)."""
    if rgb.ndim == 2:
        return rgb[:, :, None]
    return rgb[:, :, [2, 1, 0, 3][: rgb.shape[2]]]


def pillow_expected(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        if img.mode == "I;16":
            wide = np.asarray(img).astype(np.int64)
            return ((wide * 255 + 32767) // 65535).astype(np.uint8)[:, :, None]
        if img.mode == "L" or (img.mode == "1" and path.suffix != ".bmp"):
            # (javax.imageio, which reads 1-bit BMPs, gives their two colors as RGB)
            return struct_order(np.asarray(img.convert("L")))
        has_alpha = img.mode in ("RGBA", "LA") or (
            img.mode == "P" and "transparency" in img.info
        )
        return struct_order(np.asarray(img.convert("RGBA" if has_alpha else "RGB")))


def write_all_formats(folder: Path) -> list[str]:
    """Files of every format and kind TF decodes, and a few that javax.imageio decodes."""
    rng = np.random.default_rng(24)
    rgb = photo(48, 64, 1)
    alpha = rng.integers(0, 256, (48, 64), dtype=np.uint8)
    gray = rgb[:, :, 1]
    # Camera-sized JPEGs in the encoders' usual settings, and odd sizes (partial MCUs).
    big = photo(480, 640, 2)
    for sub in (0, 1, 2):
        for quality in (75, 90, 95):
            Image.fromarray(big).save(folder / f"photo_s{sub}_q{quality}.jpg", quality=quality,
                                      subsampling=sub)  # fmt: skip
    Image.fromarray(photo(101, 77, 3)).save(folder / "odd.jpg", quality=90)
    Image.fromarray(big).save(folder / "progressive.jpg", quality=90, progressive=True)
    Image.fromarray(big[:, :, 0]).save(folder / "gray.jpg", quality=90)
    Image.fromarray(big).convert("CMYK").save(folder / "cmyk.jpg", quality=90)
    # PNG
    Image.fromarray(rgb).save(folder / "rgb.png")
    Image.fromarray(np.dstack([rgb, alpha])).save(folder / "rgba.png")
    Image.fromarray(gray).save(folder / "gray.png")
    Image.fromarray(np.dstack([gray, alpha]), "LA").save(folder / "gray_alpha.png")
    Image.fromarray(rgb).quantize(40).save(folder / "palette.png")
    Image.fromarray(rgb).quantize(40).save(folder / "palette_trns.png", transparency=5)
    Image.fromarray(gray).convert("1").save(folder / "bilevel.png")
    Image.fromarray(rng.integers(0, 65536, (48, 64), dtype=np.uint16)).save(folder / "gray16.png")
    # GIF: a still one, one with a transparent color, an animated one (its first frame)
    Image.fromarray(rgb).quantize(64).save(folder / "still.gif")
    Image.fromarray(rgb).quantize(64).save(folder / "transparent.gif", transparency=3)
    frames = [Image.fromarray(photo(48, 64, s)).quantize(64) for s in (4, 5, 6)]
    frames[0].save(folder / "animated.gif", save_all=True, append_images=frames[1:], duration=50)
    # BMP: 24- and 32-bit (TF), 8-bit palette and 1-bit (javax.imageio)
    Image.fromarray(rgb[:, :63]).save(folder / "rgb.bmp")
    Image.fromarray(np.dstack([rgb, alpha])).save(folder / "rgba.bmp")
    Image.fromarray(rgb).quantize(40).save(folder / "palette.bmp")
    Image.fromarray(gray).convert("1").save(folder / "bilevel.bmp")
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture(scope="module")
def formats(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("formats")
    write_all_formats(folder)
    return folder


def by_name(rows, column="image") -> dict:
    return {Path(r.origin).name: r[column] for r in rows}


def test_every_format_decodes_to_pillows_pixels(spark, formats):
    rows = by_name(readImages(str(formats)).collect())
    assert len(rows) == len(list(formats.iterdir()))
    for name, image in sorted(rows.items()):
        assert image is not None, f"{name} did not decode"
        expected = pillow_expected(formats / name)
        got = imageStructToArray(image)
        got = got[:, :, None] if got.ndim == 2 else got
        if name == "transparent.gif":  # javax.imageio's: alpha as Pillow's; hidden colors aside
            assert got.shape == expected.shape
            np.testing.assert_array_equal(got[:, :, 3], expected[:, :, 3])
            visible = expected[:, :, 3] > 0
            np.testing.assert_array_equal(got[visible], expected[visible])
            continue
        assert got.shape == expected.shape, name
        diff = np.abs(got.astype(int) - expected.astype(int)).max()
        assert diff == 0, f"{name} differs from Pillow by up to {diff}"


def png16(samples: np.ndarray, color_type: int) -> bytes:
    """A 16-bit PNG of ``samples`` (height x width x channels, uint16), written here: Pillow
    writes no 16-bit color PNGs."""
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    h, w, _ = samples.shape
    ihdr = struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, 0)
    rows = b"".join(b"\x00" + samples[y].astype(">u2").tobytes() for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))  # fmt: skip


def test_16_bit_color_pngs_keep_pillows_high_bytes(spark, tmp_path):
    rng = np.random.default_rng(16)
    (tmp_path / "rgb16.png").write_bytes(png16(rng.integers(0, 65536, (5, 7, 3)), 2))
    (tmp_path / "rgba16.png").write_bytes(png16(rng.integers(0, 65536, (5, 7, 4)), 6))
    rows = by_name(readImages(str(tmp_path)).collect())
    for name in ("rgb16.png", "rgba16.png"):
        with Image.open(tmp_path / name) as img:
            assert img.mode in ("RGB", "RGBA")
        np.testing.assert_array_equal(
            imageStructToArray(rows[name]), pillow_expected(tmp_path / name), err_msg=name
        )


def test_cmyk_jpeg_reads_pillows_colors(spark, tmp_path):
    # Issue 24's file: javax.imageio read (229, 96, 133) from it.
    Image.new("RGB", (8, 8), (200, 30, 60)).convert("CMYK").save(tmp_path / "c.jpg", quality=95)
    (image,) = [r.image for r in readImages(str(tmp_path)).collect()]
    assert image.nChannels == 3
    assert tuple(imageStructToArray(image)[0, 0]) == (60, 30, 200)  # BGR


def test_decode_over_binary_files_equals_read_images(spark, formats):
    files = spark.read.format("binaryFile").load(str(formats))
    decoded = by_name(files.select(F.col("path").alias("origin"),
                                   decode("content", "path").alias("image")).collect())  # fmt: skip
    read = by_name(readImages(str(formats)).collect())
    assert decoded.keys() == read.keys()
    for name, image in read.items():
        assert decoded[name] == image, name
    no_origin = files.select(decode(F.col("content")).alias("image")).first().image
    assert no_origin.origin is None and no_origin.height > 0


def test_decode_with_a_size_equals_decode_then_resize(spark, formats):
    from sparkdl.image import createResizeImageUDF

    files = spark.read.format("binaryFile").load(str(formats))
    for method in ("area", "bilinear"):
        both = files.select(
            decode("content", "path", size=(37, 50), method=method).alias("fused"),
            createResizeImageUDF((37, 50), method)(decode("content", "path")).alias("apart"),
        ).collect()
        assert len(both) == len(list(formats.iterdir()))
        for r in both:
            assert r.fused is not None and (r.fused.height, r.fused.width) == (37, 50)
            assert r.fused == r.apart, r.fused.origin
    with pytest.raises(ValueError, match=r"decode: size must be \(height, width\)"):
        decode("content", size=(0, 3))
    with pytest.raises(ValueError, match="decode: method must be one of"):
        decode("content", size=(3, 3), method="lanczos")


def test_decode_gives_null_for_null_and_unreadable_bytes(spark):
    df = spark.createDataFrame(
        [(None,), (bytearray(),), (bytearray(b"not an image"),)], "content binary"
    )
    assert [r.image for r in df.select(decode("content").alias("image")).collect()] == [None] * 3


def test_bad_files_are_invalid_and_the_session_lives_on(spark, tmp_path):
    Image.fromarray(photo(40, 60, 7)).save(tmp_path / "good.jpg", quality=90)
    whole = (tmp_path / "good.jpg").read_bytes()
    (tmp_path / "truncated.jpg").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(200)))
    # A JPEG whose frame header declares 65000 x 65000 (12.7 GB of pixels): refused from its
    # header, before TF allocates anything.
    sof = whole.index(b"\xff\xc0")
    bomb = bytearray(whole)
    bomb[sof + 5 : sof + 9] = struct.pack(">HH", 65000, 65000)
    (tmp_path / "bomb.jpg").write_bytes(bytes(bomb))
    rows = by_name(readImages(str(tmp_path)).collect())
    assert {n for n, image in rows.items() if image is not None} == {"good.jpg"}
    assert "empty.jpg" not in rows  # as Spark's file sources: a zero-byte file gives no row
    kept = readImages(str(tmp_path), dropInvalid=True).collect()
    assert [Path(r.origin).name for r in kept] == ["good.jpg"]
    assert spark.range(3).count() == 3


@pytest.mark.parametrize("fmt", ["jpg", "png"])
def test_exif_orientation_on_request_as_exif_transpose(spark, tmp_path, fmt):
    pixels = photo(24, 36, 8)  # not square: orientations 5 to 8 swap the sides
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        kwargs = {"quality": 95} if fmt == "jpg" else {}
        Image.fromarray(pixels).save(tmp_path / f"o{orientation}.{fmt}", exif=exif, **kwargs)
    as_stored = by_name(readImages(str(tmp_path)).collect())
    upright = by_name(readImages(str(tmp_path), exifOrientation=True).collect())
    files = spark.read.format("binaryFile").load(str(tmp_path))
    decoded = by_name(files.select(F.col("path").alias("origin"),
                                   decode("content", "path", exifOrientation=True).alias("image"))
                      .collect())  # fmt: skip
    for orientation in range(1, 9):
        name = f"o{orientation}.{fmt}"
        with Image.open(tmp_path / name) as img:
            assert img.getexif()[0x0112] == orientation
            stored = struct_order(np.asarray(img.convert("RGB")))
            turned = struct_order(np.asarray(ImageOps.exif_transpose(img).convert("RGB")))
        np.testing.assert_array_equal(imageStructToArray(as_stored[name]), stored)
        np.testing.assert_array_equal(imageStructToArray(upright[name]), turned, err_msg=name)
        assert decoded[name] == upright[name]


def test_decode_on_a_stream_of_files_equals_batch(spark, tmp_path):
    source, sink, checkpoint = tmp_path / "in", tmp_path / "out", tmp_path / "checkpoint"
    source.mkdir()
    schema = spark.read.format("binaryFile").load(str(_write_photos(source, 0, 2))).schema

    def run_once():
        stream = spark.readStream.format("binaryFile").schema(schema).load(str(source))
        query = (
            stream.select(decode("content", "path").alias("image"))
            .writeStream.format("parquet")
            .option("checkpointLocation", str(checkpoint))
            .trigger(availableNow=True)
            .start(str(sink))
        )
        query.awaitTermination()
        assert query.exception() is None

    run_once()
    _write_photos(source, 2, 1)
    run_once()
    streamed = {r.image.origin: r.image for r in spark.read.parquet(str(sink)).collect()}
    batch = {r.origin: r.image for r in readImages(str(source)).collect()}
    assert len(streamed) == 3 and streamed.keys() == batch.keys()
    for origin, image in batch.items():
        assert streamed[origin] == image


def _write_photos(folder: Path, first: int, count: int) -> Path:
    for i in range(first, first + count):
        Image.fromarray(photo(30, 40, 20 + i)).save(folder / f"p{i}.jpg", quality=90)
    return folder


def test_named_model_features_on_jpeg_photos_equal_keras_on_pillows_pixels(spark, tmp_path):
    """MobileNetV2 (seeded random weights, no download) on JPEG photos read by readImages, equal
    to the store's model run by TF in Python on Pillow's decoding and Pillow's BOX resize."""
    import tensorflow as tf

    store = tmp_path / "store"
    models.prepare("MobileNetV2", weights="random", seed=0, store=str(store))
    folder = tmp_path / "photos"
    folder.mkdir()
    for i, (h, w, sub) in enumerate([(300, 400, 2), (333, 250, 0), (224, 224, 1)]):
        Image.fromarray(photo(h, w, 30 + i)).save(folder / f"p{i}.jpg", quality=90, subsampling=sub)
    spark.conf.set("spark.sparkdl.modelStore", str(store))
    try:
        featurizer = DeepImageFeaturizer(
            inputCol="image", outputCol="features", modelName="MobileNetV2"
        )
        out = featurizer.transform(readImages(str(folder)))
        got = {Path(r.origin).name: r.features.toArray() for r in out.collect()}
        # Without the full-size images in the output, the decode resizes them itself (one call,
        # DecodeResizeFusion): the same features.
        fused = out.select("origin", "features")
        plan = fused._jdf.queryExecution().optimizedPlan().toString()
        assert "decode_image_area_224x224" in plan, plan
        fused_got = {Path(r.origin).name: r.features.toArray() for r in fused.collect()}
    finally:
        spark.conf.unset("spark.sparkdl.modelStore")
    assert "decode_image_area_224x224" not in out._jdf.queryExecution().optimizedPlan().toString()
    serve = tf.saved_model.load(models.saved_model_dir("MobileNetV2", str(store)))
    serve = serve.signatures["serving_default"]
    assert sorted(fused_got) == sorted(got)
    for name in sorted(got):
        np.testing.assert_array_equal(fused_got[name], got[name], err_msg=name)
        with Image.open(folder / name) as img:
            rgb = np.asarray(img.convert("RGB").resize((224, 224), Image.Resampling.BOX))
        (features,) = [
            v.numpy()[0] for k, v in serve(tf.constant(rgb[None].astype(np.float32))).items()
            if k == "features"
        ]
        np.testing.assert_allclose(got[name], features, rtol=1e-5, atol=1e-5, err_msg=name)


def test_readImages_keeps_its_positional_signature(spark, formats):
    df = readImages(str(formats), 2, False, True)
    assert df.rdd.getNumPartitions() == 2 and df.columns == ["origin", "image"]


def test_bytes_read_by_pillow_equal_bytes_read_by_the_jvm(spark, tmp_path):
    # The binaryFile source reads whole files: the decode function sees Pillow's very bytes.
    Image.fromarray(photo(16, 16, 9)).save(tmp_path / "x.jpg")
    content = spark.read.format("binaryFile").load(str(tmp_path)).first().content
    assert bytes(content) == (tmp_path / "x.jpg").read_bytes()
    with Image.open(io.BytesIO(bytes(content))) as img:
        assert img.size == (16, 16)
