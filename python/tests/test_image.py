"""sparkdl.image: the image struct's layout, its numpy and PIL forms, and the two readers.

Expected bytes are written out pixel by pixel in OpenCV's layout (row-major, B, G, R, A), and
decoded files are compared with PIL's decoding of the same files.
"""

from __future__ import annotations

import struct
import threading
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pyspark.sql import Row
from sparkdl.image import (
    PIL_decode,
    PIL_to_imageStruct,
    columnSchema,
    createResizeImageUDF,
    imageArrayToStruct,
    imageSchema,
    imageStructToArray,
    imageStructToPIL,
    ocvTypes,
    readImages,
    readImagesWithCustomFn,
)

H, W = 2, 3  # small enough that i*100 + j*10 + c fits a byte


def pattern(dtype: str, channels: int) -> np.ndarray:
    """Pixel (i, j, c) holds i*100 + j*10 + c."""
    i, j, c = np.meshgrid(np.arange(H), np.arange(W), np.arange(channels), indexing="ij")
    return (i * 100 + j * 10 + c).astype(dtype)


def opencv_bytes(dtype: str, channels: int, value=lambda i, j, c: i * 100 + j * 10 + c) -> bytes:
    """OpenCV's data for an image whose channel c (in stored order) of pixel (i, j) is value."""
    pack = (lambda v: struct.pack("<f", v)) if dtype == "float32" else (lambda v: bytes([v]))
    return b"".join(
        pack(value(i, j, c)) for i in range(H) for j in range(W) for c in range(channels)
    )


# ---- layout and conversions ----------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_array_to_struct_layout_and_back(dtype, channels):
    array = pattern(dtype, channels)
    row = imageArrayToStruct(array, origin="mem:x")
    name = f"CV_{'8U' if dtype == 'uint8' else '32F'}C{channels}"
    assert row == Row(
        origin="mem:x",
        height=H,
        width=W,
        nChannels=channels,
        mode=ocvTypes[name],
        data=bytearray(opencv_bytes(dtype, channels)),
    )
    assert row.__fields__ == list(columnSchema.fieldNames())
    back = imageStructToArray(row)
    assert back.dtype == np.dtype(dtype) and back.shape == (H, W, channels)
    np.testing.assert_array_equal(back, array)


def test_array_shapes_and_byte_orders():
    gray = pattern("uint8", 1)
    assert imageArrayToStruct(gray[:, :, 0]) == imageArrayToStruct(gray)
    color = pattern("float32", 3)
    assert imageArrayToStruct(color[np.newaxis]) == imageArrayToStruct(color)
    assert imageArrayToStruct(color.astype(">f4")) == imageArrayToStruct(color)
    strided = np.asfortranarray(pattern("uint8", 4))
    assert imageArrayToStruct(strided).data == opencv_bytes("uint8", 4)
    # Struct data read back from a DataFrame is bytes: a read-only view, still the same pixels.
    row = imageArrayToStruct(color)
    as_bytes = Row(**{**row.asDict(), "data": bytes(row.data)})
    np.testing.assert_array_equal(imageStructToArray(as_bytes), color)


def test_PIL_images_become_opencv_bytes():
    value = lambda i, j, c: i * 100 + j * 10 + c  # noqa: E731 - channel c in PIL's order
    for mode, channels, stored in [
        ("L", 1, [0]),
        ("RGB", 3, [2, 1, 0]),  # stored channel k holds PIL channel stored[k]: B, G, R
        ("RGBA", 4, [2, 1, 0, 3]),
    ]:
        img = Image.new(mode, (W, H))
        for i in range(H):
            for j in range(W):
                px = tuple(value(i, j, c) for c in range(channels))
                img.putpixel((j, i), px[0] if channels == 1 else px)
        row = imageArrayToStruct(PIL_to_imageStruct(img), origin="p")
        assert (row.mode, row.nChannels) == (ocvTypes[f"CV_8UC{channels}"], channels)
        swapped = [value(i, j, k) for i in range(H) for j in range(W) for k in stored]
        assert row.data == bytes(swapped)
        back = imageStructToPIL(row)
        assert back.mode == mode and back.size == (W, H)
        assert list(back.getdata()) == list(img.getdata())


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_struct_to_PIL_to_struct_is_identity(channels):
    array = np.random.RandomState(channels).randint(0, 256, (5, 7, channels)).astype(np.uint8)
    row = imageArrayToStruct(array, origin="file:/x.png")
    pil = imageStructToPIL(row)
    assert pil.mode == {1: "L", 3: "RGB", 4: "RGBA"}[channels]
    expected = array[:, :, 0] if channels == 1 else array[:, :, [2, 1, 0, 3][:channels]]
    np.testing.assert_array_equal(np.asarray(pil), expected)  # PIL's own view: R, G, B, A
    assert imageArrayToStruct(PIL_to_imageStruct(pil), origin="file:/x.png") == row


def test_float_gray_is_PIL_mode_F():
    row = imageArrayToStruct(pattern("float32", 1) / 7)
    pil = imageStructToPIL(row)
    assert pil.mode == "F"
    np.testing.assert_array_equal(np.asarray(pil), pattern("float32", 1)[:, :, 0] / 7)
    assert imageArrayToStruct(PIL_to_imageStruct(pil)) == row


def test_PIL_modes_converted_first():
    palette = Image.new("P", (W, H))
    palette.putpalette([10, 20, 30] * 256)
    np.testing.assert_array_equal(PIL_to_imageStruct(palette)[0, 0], [30, 20, 10])
    bilevel = Image.new("1", (W, H), 1)
    np.testing.assert_array_equal(PIL_to_imageStruct(bilevel), np.full((H, W, 1), 255, np.uint8))
    gray_alpha = Image.new("LA", (W, H), (9, 200))
    np.testing.assert_array_equal(PIL_to_imageStruct(gray_alpha)[1, 2], [9, 9, 9, 200])


def test_schemas_are_sparks(spark):
    from pyspark.ml.image import ImageSchema

    assert columnSchema == ImageSchema.columnSchema
    assert imageSchema == ImageSchema.imageSchema
    # Spark names the 8-bit types only; the float ones are OpenCV's numbers.
    spark_types = {k: v for k, v in ImageSchema.ocvTypes.items() if k.startswith("CV_8UC")}
    assert spark_types == {k: v for k, v in ocvTypes.items() if k.startswith("CV_8UC")}
    assert {k: v for k, v in ocvTypes.items() if k.startswith("CV_32F")} == {
        "CV_32FC1": 5,
        "CV_32FC3": 21,
        "CV_32FC4": 29,
    }


# ---- bad inputs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "array, error, message",
    [
        (np.zeros((2, 3), np.int64), ValueError, "uint8 or float32; got int64"),
        (np.zeros((2, 3, 3), np.float64), ValueError, "uint8 or float32; got float64"),
        (np.zeros((2, 3, 2), np.uint8), ValueError, r"1, 3 or 4 channels; got shape \(2, 3, 2\)"),
        (np.zeros((2, 2, 3, 3), np.uint8), ValueError, r"got shape \(2, 2, 3, 3\)"),
        (np.zeros(5, np.uint8), ValueError, r"\(height, width\).*got shape \(5,\)"),
        ([[1, 2], [3, 4]], TypeError, "expected a numpy array; got <class 'list'>"),
    ],
)
def test_bad_arrays(array, error, message):
    with pytest.raises(error, match=message):
        imageArrayToStruct(array)


def test_bad_structs():
    good = imageArrayToStruct(pattern("uint8", 3), origin="o")
    fields = good.asDict()
    with pytest.raises(
        ValueError,
        match=r"image struct, a Row with fields origin, height.*"
        r"got \['a', 'b'\], without origin, height",
    ):
        imageStructToArray(Row(a=1, b=2))
    with pytest.raises(ValueError, match="got None"):
        imageStructToArray(None)
    with pytest.raises(ValueError, match="unsupported image mode 99"):
        imageStructToArray(Row(**{**fields, "mode": 99}))
    with pytest.raises(ValueError, match="has mode CV_8UC3 but nChannels 4"):
        imageStructToArray(Row(**{**fields, "nChannels": 4}))
    with pytest.raises(ValueError, match="should hold 18 bytes of data; it holds 17"):
        imageStructToArray(Row(**{**fields, "data": good.data[:-1]}))
    with pytest.raises(ValueError, match="is CV_32FC3; PIL takes 8-bit"):
        imageStructToPIL(imageArrayToStruct(pattern("float32", 3)))
    with pytest.raises(ValueError, match="PIL mode 'I;16' has no image struct form"):
        PIL_to_imageStruct(Image.new("I;16", (2, 2)))


# ---- readers -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory) -> tuple[Path, dict[str, np.ndarray]]:
    """Two PNGs (RGB and RGBA) and a corrupt file; the PNGs' pixels as stored (B, G, R, A)."""
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.RandomState(3)
    Image.fromarray(rng.randint(0, 256, (6, 5, 3)).astype(np.uint8)).save(folder / "rgb.png")
    Image.fromarray(rng.randint(0, 256, (4, 7, 4)).astype(np.uint8)).save(folder / "rgba.png")
    (folder / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n this is no image")
    expected = {}
    for name, order in [("rgb.png", [2, 1, 0]), ("rgba.png", [2, 1, 0, 3])]:
        with Image.open(folder / name) as img:
            expected[name] = np.asarray(img)[:, :, order]
    return folder, expected


def by_file(rows: list[Row]) -> dict[str, Row]:
    return {Path(r.origin).name: r for r in rows}


def check_images(rows: dict[str, Row], expected: dict[str, np.ndarray]) -> None:
    assert sorted(rows) == ["corrupt.png", "rgb.png", "rgba.png"]
    assert rows["corrupt.png"].image is None
    for name, pixels in expected.items():
        image = rows[name].image
        assert image is not None and image.origin == rows[name].origin
        np.testing.assert_array_equal(imageStructToArray(image), pixels)


def test_readImagesWithCustomFn(spark, image_dir):
    folder, expected = image_dir
    df = readImagesWithCustomFn(str(folder), PIL_decode)
    assert df.schema.fieldNames() == ["origin", "image"]
    assert df.schema["image"].dataType == columnSchema and not df.schema["origin"].nullable
    rows = by_file(df.collect())
    check_images(rows, expected)
    assert rows["rgb.png"].origin.startswith("file:")


def test_readImagesWithCustomFn_failing_decoders(spark, image_dir):
    folder, expected = image_dir
    rgba = (folder / "rgba.png").read_bytes()

    def raises_on_rgba(raw: bytes) -> np.ndarray:
        if raw == rgba:
            raise RuntimeError("cannot decode this one")
        return PIL_decode(raw)

    rows = by_file(readImagesWithCustomFn(str(folder), raises_on_rgba, numPartition=2).collect())
    assert [n for n, r in sorted(rows.items()) if r.image is not None] == ["rgb.png"]
    np.testing.assert_array_equal(imageStructToArray(rows["rgb.png"].image), expected["rgb.png"])

    def no_image(raw: bytes):
        return None if raw == rgba else np.zeros((2, 2), np.int64)  # None, or not an image

    rows = readImagesWithCustomFn(str(folder), no_image).collect()
    assert len(rows) == 3 and all(r.image is None for r in rows)


def test_readImagesWithCustomFn_partitions(spark, image_dir):
    folder, _ = image_dir
    assert readImagesWithCustomFn(str(folder), PIL_decode, 2).rdd.getNumPartitions() == 2
    with pytest.raises(ValueError, match="numPartition must be a positive int or None; got 0"):
        readImagesWithCustomFn(str(folder), PIL_decode, 0)


def test_readImages(spark, image_dir):
    folder, expected = image_dir
    df = readImages(str(folder))
    assert df.schema.fieldNames() == ["origin", "image"]
    assert df.schema["image"].dataType == columnSchema
    check_images(by_file(df.collect()), expected)
    kept = readImages(str(folder), numPartitions=2, dropInvalid=True).collect()
    assert sorted(Path(r.origin).name for r in kept) == ["rgb.png", "rgba.png"]
    assert readImages(str(folder), numPartitions=2).rdd.getNumPartitions() == 2


def test_readImages_refuses_bad_partition_counts(spark, image_dir):
    with pytest.raises(ValueError, match="numPartitions must be a positive int or None; got -1"):
        readImages(str(image_dir[0]), numPartitions=-1)


def test_readImages_takes_the_original_numPartition(spark, image_dir):
    folder, _ = image_dir
    assert readImages(str(folder), numPartition=3).rdd.getNumPartitions() == 3
    with pytest.raises(TypeError, match="numPartitions or numPartition"):
        readImages(str(folder), numPartitions=2, numPartition=3)


def test_createResizeImageUDF_equals_pillow_keeps_origin_and_nulls(spark, image_dir):
    rng = np.random.default_rng(11)
    arrays = {
        "bgr": rng.integers(0, 256, (37, 53, 3), dtype=np.uint8),
        "bgra": rng.integers(0, 256, (20, 31, 4), dtype=np.uint8),
        "gray": rng.integers(0, 256, (9, 40), dtype=np.uint8),
        "same": rng.integers(0, 256, (12, 9, 3), dtype=np.uint8),
    }
    rows = [Row(image=imageArrayToStruct(a, origin=k)) for k, a in arrays.items()]
    df = spark.createDataFrame([*rows, Row(image=None)], imageSchema)
    for method, pil in [("area", Image.Resampling.BOX), ("nearest", Image.Resampling.NEAREST)]:
        out = df.select(createResizeImageUDF((12, 9), method)("image").alias("r")).collect()
        assert out[-1].r is None
        for (origin, array), row in zip(arrays.items(), out[:-1], strict=True):
            assert row.r.origin == origin
            assert (row.r.height, row.r.width) == (12, 9)
            # Channels resize independently of their order (alpha last in both): Pillow gets
            # the stored B, G, R(, A) as R, G, B(, A).
            expected = np.asarray(Image.fromarray(array).resize((9, 12), pil))
            np.testing.assert_array_equal(
                imageStructToArray(row.r).reshape(expected.shape), expected
            )
    # A Column works as a name does; the files of readImages too.
    read = readImages(str(image_dir[0]), dropInvalid=True)
    resized = read.select(createResizeImageUDF([3, 2])(read.image).alias("r")).collect()
    assert sorted((r.r.height, r.r.width, r.r.nChannels) for r in resized) == [(3, 2, 3), (3, 2, 4)]


@pytest.mark.parametrize("size", [(0, 5), (5,), (5, 5, 5), "ab", (5.0, 5), (True, 5), 7, None])
def test_createResizeImageUDF_refuses_bad_sizes(size):
    with pytest.raises(ValueError, match=r"size must be \(height, width\) of two positive ints"):
        createResizeImageUDF(size)


def test_createResizeImageUDF_refuses_sizes_no_image_can_hold(spark):
    df = spark.createDataFrame(
        [Row(image=imageArrayToStruct(np.zeros((4, 4, 3), np.uint8)))], imageSchema
    )
    with pytest.raises(Exception, match="cannot resize 4x4 to 100000x100000: 30000000000 bytes"):
        df.select(createResizeImageUDF((100000, 100000))("image")).collect()


def test_createResizeImageUDF_refuses_columns_of_no_images(spark):
    df = spark.createDataFrame([(1, "a")], ["i", "s"])
    for column, found in [("i", "found a Long"), ("s", "found a String")]:
        with pytest.raises(Exception, match=f"expected an image struct .*; {found}"):
            df.select(createResizeImageUDF((2, 2))(column)).collect()


def test_createResizeImageUDF_refuses_bad_methods():
    with pytest.raises(ValueError, match="method must be one of area, bilinear, bicubic, nearest"):
        createResizeImageUDF((2, 2), "lanczos")


def test_the_original_imageIO_module_name():
    import sparkdl
    import sparkdl.image
    import sparkdl.image.imageIO as by_import
    from sparkdl.image import imageIO

    assert imageIO is sparkdl.image and by_import is sparkdl.image
    assert imageIO.readImagesWithCustomFn is readImagesWithCustomFn
    assert sparkdl.createResizeImageUDF is createResizeImageUDF


# ---- hostile files (issue 21) --------------------------------------------------------------


def png_bomb(width: int, height: int) -> bytes:
    """A valid RGB PNG of zero pixels whose IHDR declares width x height: 12000 x 12000 (432 MB
    of pixels) takes 420 KB, as its rows of zeros compress well."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    deflate = zlib.compressobj(9)
    row = bytes(1 + 3 * width)  # filter byte 0, then the row's samples
    data = b"".join(deflate.compress(row) for _ in range(height)) + deflate.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def names_and_channels(df) -> list[tuple[str, int | None]]:
    return sorted((Path(r.origin).name, r.image and r.image.nChannels) for r in df.collect())


def test_readImages_refuses_decompression_bombs_and_the_session_lives_on(spark, tmp_path):
    Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(tmp_path / "good.png")
    (tmp_path / "bomb.png").write_bytes(png_bomb(12000, 12000))
    # Pillow's bound, 89,478,485 pixels, by default: the bomb is an invalid image, not an
    # OutOfMemoryError that stops the SparkContext.
    assert names_and_channels(readImages(str(tmp_path))) == [("bomb.png", None), ("good.png", 3)]
    assert [Path(r.origin).name for r in readImages(str(tmp_path), dropInvalid=True).collect()] == [
        "good.png"
    ]
    assert spark.range(3).count() == 3
    spark.conf.set("spark.sparkdl.image.maxPixels", "23")  # good.png has 24
    try:
        refused = names_and_channels(readImages(str(tmp_path)))
        assert refused == [("bomb.png", None), ("good.png", None)]
    finally:
        spark.conf.unset("spark.sparkdl.image.maxPixels")


def test_readImages_reads_names_with_glob_characters_as_files(spark, tmp_path):
    rgb = Image.fromarray(np.zeros((2, 3, 3), np.uint8))
    rgba = Image.fromarray(np.zeros((2, 3, 4), np.uint8))
    for name, img in [("br[1].png", rgb), ("br1.png", rgba), ("q?.png", rgb), ("qa.png", rgba),
                      ("qb.png", rgb), ("curly{a,b}.png", rgb)]:  # fmt: skip
        img.save(tmp_path / name, "PNG")
    expected = [("br1.png", 4), ("br[1].png", 3), ("curly{a,b}.png", 3), ("q?.png", 3),
                ("qa.png", 4), ("qb.png", 3)]  # fmt: skip
    for recursive in (False, True):
        assert names_and_channels(readImages(str(tmp_path), recursive=recursive)) == expected
    lone = tmp_path / "lone"
    lone.mkdir()
    rgb.save(lone / "br[1].png", "PNG")
    assert names_and_channels(readImages(str(lone), recursive=False)) == [("br[1].png", 3)]


def test_readImages_follows_each_folder_once_through_link_loops(spark, tmp_path):
    Image.fromarray(np.zeros((2, 3, 3), np.uint8)).save(tmp_path / "one.png")
    (tmp_path / "self").symlink_to(".")
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "up").symlink_to("..")
    # The read runs in a daemon thread with a bounded wait, so that a listing that loops fails
    # the test rather than hanging it (or the interpreter's exit).
    outcome: list = []

    def read() -> None:
        try:  # the JVM's active session is per thread
            spark._jvm.SparkSession.setActiveSession(spark._jsparkSession)
            outcome.append(names_and_channels(readImages(str(tmp_path))))
        except Exception as e:  # the test's thread re-raises it
            outcome.append(e)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(120)
    assert not reader.is_alive(), "readImages did not return within 120 s"
    if isinstance(outcome[0], Exception):
        raise outcome[0]
    rows = outcome[0]
    assert rows == [("one.png", 3)]


def test_readImages_refuses_truncated_jpegs_reads_cmyk_and_1_bit_gray_as_pillow(spark, tmp_path):
    yy, xx = np.mgrid[0:16, 0:24]
    smooth = np.stack([xx * 10 + 20, yy * 12 + 10, 200 - xx * 5 - yy * 5], -1).astype(np.uint8)
    Image.fromarray(smooth).convert("CMYK").save(tmp_path / "cmyk.jpg", quality=95)
    noisy = np.random.default_rng(2).integers(0, 256, (64, 80, 3), dtype=np.uint8)
    Image.fromarray(noisy).save(tmp_path / "whole.jpg")
    whole = (tmp_path / "whole.jpg").read_bytes()
    (tmp_path / "truncated.jpg").write_bytes(whole[: len(whole) // 2])
    bits = np.random.default_rng(3).integers(0, 2, (16, 24), dtype=np.uint8) * 255
    Image.fromarray(bits).convert("1").save(tmp_path / "bilevel.png")
    with Image.open(tmp_path / "cmyk.jpg") as img:
        assert img.mode == "CMYK"
    with Image.open(tmp_path / "truncated.jpg") as img, pytest.raises(OSError, match="truncated"):
        img.load()  # Pillow refuses it
    rows = by_file(readImages(str(tmp_path)).collect())
    assert rows["truncated.jpg"].image is None
    assert rows["whole.jpg"].image is not None
    with Image.open(tmp_path / "cmyk.jpg") as img:
        rgb = np.asarray(img.convert("RGB"))
    np.testing.assert_array_equal(imageStructToArray(rows["cmyk.jpg"].image), rgb[:, :, ::-1])
    bilevel = rows["bilevel.png"].image
    with Image.open(tmp_path / "bilevel.png") as img:
        assert img.mode == "1"
        expected = np.asarray(img.convert("L"))[:, :, None]
    assert bilevel.nChannels == 1
    np.testing.assert_array_equal(imageStructToArray(bilevel), expected)
