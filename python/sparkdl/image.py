"""Images in DataFrames: Spark's image struct, its numpy and PIL forms, and two readers.

An image is a row of Spark's image schema (``pyspark.ml.image.ImageSchema.columnSchema``):
``origin, height, width, nChannels, mode, data``. ``mode`` is an OpenCV type (:data:`ocvTypes`);
``data`` holds the pixels row-major, height x width x channels, with 3 or 4 channels in OpenCV's
B, G, R(, A) order, and float pixels as little-endian float32. The numpy arrays of this module
are that layout as is: ``imageStructToArray`` and ``imageArrayToStruct`` never reorder channels,
while the PIL functions swap red and blue, since PIL is RGB(A).

The names and meanings are those of the original sparkdl's ``sparkdl.image.imageIO``, with three
differences: ``imageArrayToStruct`` also takes 2-d (gray) arrays; the PIL functions keep alpha
last (B, G, R, A, as OpenCV and Spark's image reader store it; the original reversed all four
channels) and keep gray images as they are (the original flipped them left to right); and the
readers return an ``origin`` column next to ``image``. PIL (``pip install sparkdl[image]``) is
needed by the PIL functions only.
"""

from __future__ import annotations

import numbers
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql.types import BinaryType, IntegerType, StringType, StructField, StructType

from sparkdl import _extras
from sparkdl._gen import contract

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage
    from pyspark.sql import Column
    from pyspark.sql._typing import ColumnOrName

__all__ = [
    "OcvType",
    "PIL_decode",
    "PIL_decode_and_resize",
    "PIL_to_imageStruct",
    "columnSchema",
    "createResizeImageUDF",
    "decode",
    "filesToDF",
    "fixColorChannelOrdering",
    "imageArrayToStruct",
    "imageFields",
    "imageInputPlaceholder",
    "imageSchema",
    "imageStructToArray",
    "imageStructToPIL",
    "imageTypeByName",
    "imageTypeByOrdinal",
    "ocvTypes",
    "readImages",
    "readImagesWithCustomFn",
]


class OcvType(NamedTuple):
    """An OpenCV pixel type that the image struct may hold."""

    name: str  #: OpenCV's name, e.g. ``"CV_8UC3"``
    ord: int  #: its number, stored in the struct's ``mode`` field
    nChannels: int  #: channels per pixel
    dtype: str  #: the numpy dtype of one channel value


_SUPPORTED_OCV_TYPES = tuple(OcvType(*t) for t in contract.OCV_TYPES)
_BY_NAME = {t.name: t for t in _SUPPORTED_OCV_TYPES}
_BY_ORD = {t.ord: t for t in _SUPPORTED_OCV_TYPES}

#: The OpenCV types sparkdl converts, by name: the mode numbers of the image struct.
ocvTypes: dict[str, int] = {t.name: t.ord for t in _SUPPORTED_OCV_TYPES}

#: The image struct's fields, in order.
imageFields: tuple[str, ...] = ("origin", "height", "width", "nChannels", "mode", "data")

#: The image struct: Spark's ``ImageSchema.columnSchema``, written out so that no JVM is needed.
columnSchema = StructType(
    [
        StructField("origin", StringType(), True),
        StructField("height", IntegerType(), False),
        StructField("width", IntegerType(), False),
        StructField("nChannels", IntegerType(), False),
        StructField("mode", IntegerType(), False),
        StructField("data", BinaryType(), False),
    ]
)

#: Spark's ``ImageSchema.imageSchema``: one nullable column ``image`` of :data:`columnSchema`.
imageSchema = StructType([StructField("image", columnSchema, True)])

# What both readers return: the file, and its image or null when it could not be decoded.
_READER_SCHEMA = StructType(
    [StructField("origin", StringType(), False), StructField("image", columnSchema, True)]
)

_SHAPES = "(height, width), (height, width, channels) or (1, height, width, channels)"


def imageTypeByOrdinal(ordinal: int) -> OcvType:
    """The supported OpenCV type numbered ``ordinal`` (an image struct's ``mode``).

    Raises
    ------
    ValueError
        For a type sparkdl does not convert.
    """
    try:
        return _BY_ORD[ordinal]
    except (KeyError, TypeError):
        raise ValueError(
            f"unsupported image mode {ordinal!r}: expected one of the OpenCV types {ocvTypes}"
        ) from None


def imageTypeByName(name: str) -> OcvType:
    """The supported OpenCV type called ``name``, e.g. ``"CV_8UC3"``.

    Raises
    ------
    ValueError
        For a type sparkdl does not convert.
    """
    try:
        return _BY_NAME[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unsupported OpenCV type {name!r}: expected one of {sorted(ocvTypes)}"
        ) from None


def imageArrayToStruct(imgArray: np.ndarray, origin: str = "") -> Row:
    """Make an image struct from the pixels of one image.

    Parameters
    ----------
    imgArray
        Pixels as stored in the struct: shape (height, width) for gray, (height, width, channels)
        with 1, 3 (B, G, R) or 4 (B, G, R, A) channels, or that with a leading batch dimension
        of 1; dtype ``uint8`` or ``float32``. Channels are not reordered: convert RGB arrays
        with ``arr[..., ::-1]`` (RGBA with ``arr[..., [2, 1, 0, 3]]``) first.
    origin
        The struct's ``origin``, usually the image's file. Default: ``""``.

    Returns
    -------
    Row
        A row of :data:`columnSchema`, mode ``CV_8UC<channels>`` or ``CV_32FC<channels>``.

    Raises
    ------
    TypeError
        When ``imgArray`` is not a numpy array.
    ValueError
        For another shape, channel count or dtype.
    """
    if not isinstance(imgArray, np.ndarray):
        raise TypeError(f"imageArrayToStruct: expected a numpy array; got {type(imgArray)}")
    shape = imgArray.shape
    if imgArray.ndim == 4 and shape[0] == 1:
        imgArray = imgArray[0]
    elif imgArray.ndim == 2:
        imgArray = imgArray[:, :, np.newaxis]
    if imgArray.ndim != 3 or imgArray.shape[2] not in (1, 3, 4):
        raise ValueError(
            f"imageArrayToStruct: expected an image array of shape {_SHAPES} with 1, 3 or 4 "
            f"channels; got shape {shape}"
        )
    if imgArray.dtype == np.uint8:
        depth = "8U"
    elif imgArray.dtype.kind == "f" and imgArray.dtype.itemsize == 4:
        depth = "32F"
        imgArray = imgArray.astype("<f4", copy=False)  # the struct's floats are little-endian
    else:
        raise ValueError(
            f"imageArrayToStruct: expected an array of dtype uint8 or float32; got {imgArray.dtype}"
            " (convert it with astype first)"
        )
    height, width, channels = imgArray.shape
    mode = _BY_NAME[f"CV_{depth}C{channels}"].ord
    return Row(
        origin=origin,
        height=int(height),
        width=int(width),
        nChannels=int(channels),
        mode=mode,
        data=bytearray(imgArray.tobytes()),  # C order, whatever the array's strides
    )


def _checked_struct(imageRow: Any, caller: str) -> tuple[OcvType, int, int]:
    """The type, height and width of an image struct, after checking its fields agree."""
    if imageRow is None:
        raise ValueError(f"{caller}: got None where an image struct was expected (unreadable?)")
    missing = [f for f in imageFields if not hasattr(imageRow, f)]
    if missing:
        found = getattr(imageRow, "__fields__", None) or type(imageRow).__name__
        raise ValueError(
            f"{caller}: expected an image struct, a Row with fields {', '.join(imageFields)}; "
            f"got {found}, without {', '.join(missing)}"
        )
    imgType = imageTypeByOrdinal(imageRow.mode)
    height, width, channels = imageRow.height, imageRow.width, imageRow.nChannels
    if channels != imgType.nChannels:
        raise ValueError(
            f"{caller}: image {imageRow.origin!r} has mode {imgType.name} but nChannels {channels}"
        )
    expected = height * width * channels * np.dtype(imgType.dtype).itemsize
    if imageRow.data is None or len(imageRow.data) != expected:
        size = None if imageRow.data is None else len(imageRow.data)
        raise ValueError(
            f"{caller}: image {imageRow.origin!r} ({height}x{width}, {imgType.name}) should hold "
            f"{expected} bytes of data; it holds {size}"
        )
    return imgType, height, width


def imageStructToArray(imageRow: Row) -> np.ndarray:
    """The pixels of an image struct, as stored: B, G, R(, A) channels.

    Parameters
    ----------
    imageRow
        A row of :data:`columnSchema`, e.g. a value of a ``readImages`` DataFrame's ``image``.

    Returns
    -------
    numpy.ndarray
        Shape (height, width, nChannels), dtype ``uint8`` or ``float32`` after the mode. It
        shares memory with ``imageRow.data``, so it is read-only when that is ``bytes``.

    Raises
    ------
    ValueError
        When ``imageRow`` is not an image struct, has an unsupported mode, or its fields disagree.
    """
    imgType, height, width = _checked_struct(imageRow, "imageStructToArray")
    dtype = np.dtype(imgType.dtype).newbyteorder("<")
    return np.frombuffer(imageRow.data, dtype=dtype).reshape(height, width, imgType.nChannels)


def imageStructToPIL(imageRow: Row) -> PILImage:
    """A PIL image of an image struct: mode ``L``, ``RGB``, ``RGBA``, or ``F`` for ``CV_32FC1``.

    Parameters
    ----------
    imageRow
        A row of :data:`columnSchema` with mode ``CV_8UC1``, ``CV_8UC3``, ``CV_8UC4`` or
        ``CV_32FC1``; blue and red are swapped into PIL's order.

    Returns
    -------
    PIL.Image.Image

    Raises
    ------
    ValueError
        For a float image of 3 or 4 channels (PIL has no such mode), or a row that is not an
        image struct.
    """
    _extras.need("PIL", "imageStructToPIL")
    from PIL import Image

    array = imageStructToArray(imageRow)
    imgType = imageTypeByOrdinal(imageRow.mode)
    if imgType.nChannels == 1:
        return Image.fromarray(np.ascontiguousarray(array[:, :, 0], imgType.dtype))  # L or F
    if imgType.dtype != "uint8":
        raise ValueError(
            f"imageStructToPIL: image {imageRow.origin!r} is {imgType.name}; PIL takes 8-bit "
            "images (CV_8UC1, CV_8UC3, CV_8UC4) and CV_32FC1"
        )
    order = [2, 1, 0] if imgType.nChannels == 3 else [2, 1, 0, 3]
    return Image.fromarray(np.ascontiguousarray(array[:, :, order]))  # RGB or RGBA


# PIL modes kept as they are, and those converted first (to a mode that loses nothing).
_PIL_MODES = ("L", "RGB", "RGBA", "F")
_PIL_CONVERSIONS = {"1": "L", "LA": "RGBA", "PA": "RGBA", "CMYK": "RGB", "YCbCr": "RGB"}


def PIL_to_imageStruct(img: PILImage) -> np.ndarray:
    """The pixels of a PIL image as the image struct stores them, for :func:`imageArrayToStruct`.

    Parameters
    ----------
    img
        A PIL image. ``L`` gives 1 channel, ``RGB`` 3 (B, G, R), ``RGBA`` 4 (B, G, R, A), all
        ``uint8``; ``F`` gives 1 ``float32`` channel. Modes ``1``, ``P``, ``LA``, ``PA``,
        ``CMYK`` and ``YCbCr`` are converted to one of those first (``P`` to ``RGBA`` when it
        has transparency, else ``RGB``).

    Returns
    -------
    numpy.ndarray
        Shape (height, width, channels). As in the original sparkdl, an array rather than a Row:
        ``imageArrayToStruct(PIL_to_imageStruct(img), origin)`` makes the struct.

    Raises
    ------
    ValueError
        For another PIL mode (e.g. 16- or 32-bit integers): convert the image first.
    """
    mode = img.mode
    if mode == "P":
        mode = "RGBA" if "transparency" in img.info else "RGB"
    mode = _PIL_CONVERSIONS.get(mode, mode)
    if mode not in _PIL_MODES:
        raise ValueError(
            f"PIL_to_imageStruct: PIL mode {img.mode!r} has no image struct form; expected one "
            f"of {', '.join(_PIL_MODES)} or {', '.join(['P', *_PIL_CONVERSIONS])} (convert it "
            "with img.convert first)"
        )
    array = np.asarray(img.convert(mode) if mode != img.mode else img)
    if array.ndim == 2:
        return array[:, :, np.newaxis]
    order = [2, 1, 0] if array.shape[2] == 3 else [2, 1, 0, 3]
    return np.ascontiguousarray(array[:, :, order])


def PIL_decode(raw_bytes: bytes) -> np.ndarray:
    """Decode an image file's bytes with PIL: a ``decode_f`` for :func:`readImagesWithCustomFn`.

    Returns
    -------
    numpy.ndarray
        The pixels as :func:`PIL_to_imageStruct` gives them.
    """
    from io import BytesIO

    _extras.need("PIL", "PIL_decode")
    from PIL import Image

    with Image.open(BytesIO(raw_bytes)) as img:
        return PIL_to_imageStruct(img)


def PIL_decode_and_resize(size: tuple[int, int]) -> Callable[[bytes], np.ndarray]:  # noqa: N802
    """A ``decode_f`` for :func:`readImagesWithCustomFn` that decodes with PIL and resizes to
    ``size`` ``(width, height)`` with PIL's ``Image.resize`` (its default filter), as sparkdl
    1.x's."""

    def decode(raw_bytes: bytes) -> np.ndarray:
        from io import BytesIO

        _extras.need("PIL", "PIL_decode_and_resize")
        from PIL import Image

        with Image.open(BytesIO(raw_bytes)) as img:
            return PIL_to_imageStruct(img.resize(tuple(size)))

    return decode


def fixColorChannelOrdering(currentOrder: str, imgAry: np.ndarray) -> np.ndarray:  # noqa: N802,N803
    """``imgAry``, whose channels are in ``currentOrder`` (``"RGB"``, ``"BGR"`` or ``"L"``), in
    the image struct's order (B, G, R), as sparkdl 1.x's. ``"L"`` takes one channel: a
    (height, width) array or one of (height, width, 1) (1.x refused every image there)."""
    if currentOrder == "RGB":
        return imgAry[..., ::-1]
    if currentOrder == "BGR":
        return imgAry
    if currentOrder == "L":
        if imgAry.ndim != 2 and not (imgAry.ndim == 3 and imgAry.shape[2] == 1):
            raise ValueError(
                "fixColorChannelOrdering: channel order 'L' is one channel; expected an array of "
                f"shape (height, width) or (height, width, 1); got shape {imgAry.shape}"
            )
        return imgAry
    raise ValueError(
        f"fixColorChannelOrdering: currentOrder is {currentOrder!r}; expected 'L', 'RGB' or 'BGR'"
    )


def _partitions(value: Any, caller: str, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{caller}: {name} must be a positive int or None; got {value!r}")
    return int(value)


def _decode_file(
    origin: str, raw: bytes, decode_f: Callable[[bytes], np.ndarray | None]
) -> tuple[str, Row | None]:
    """One file's row of readImagesWithCustomFn: its image, or None if decoding it failed."""
    try:
        array = decode_f(raw)
        return origin, None if array is None else imageArrayToStruct(array, origin=origin)
    except Exception:  # a file that cannot be decoded is a null image, not a failed job
        return origin, None


def filesToDF(sc: Any, path: str, numPartitions: int | None = None) -> DataFrame:  # noqa: N802
    """Read files into a DataFrame of their bytes, as sparkdl 1.x's ``imageIO.filesToDF``.

    Parameters
    ----------
    sc
        The SparkContext.
    path
        A file, a directory (its files, not its subdirectories) or a glob, as Hadoop takes them.
    numPartitions
        Partitions of the result. Default: the SparkContext's default parallelism.

    Returns
    -------
    DataFrame
        Columns ``filePath`` (the file's URI) and ``fileData`` (its bytes), both not null.
    """
    numPartitions = _partitions(numPartitions, "filesToDF", "numPartitions")
    numPartitions = numPartitions or sc.defaultParallelism
    spark = SparkSession.builder.getOrCreate()  # sc's session
    _refuse_connect(spark, "filesToDF")
    files = sc.binaryFiles(path, minPartitions=numPartitions).repartition(numPartitions)
    schema = StructType(
        [StructField("filePath", StringType(), False), StructField("fileData", BinaryType(), False)]
    )
    return spark.createDataFrame(files.map(lambda f: (f[0], bytearray(f[1]))), schema)


def imageInputPlaceholder(nChannels: int | None = None) -> Any:  # noqa: N802,N803 - 1.x's name
    """A TF1 placeholder for a batch of float32 images, ``[batch, height, width, nChannels]``
    (sizes unknown), named ``sparkdl_image_input``, as sparkdl 1.x's: the input of a graph built
    for :class:`~sparkdl.ml.TFImageTransformer` (``inputTensor``). Call it while a
    ``tf.Graph`` is the default graph (``with tf.Graph().as_default():``)."""
    import tensorflow as tf

    if tf.executing_eagerly():
        raise RuntimeError(
            "imageInputPlaceholder makes a TF1 placeholder, which needs a graph: call it inside "
            "`with tf.Graph().as_default():` (or build the model as a TF2 function or Keras "
            "model and pass it as model=)"
        )
    return tf.compat.v1.placeholder(
        tf.float32, [None, None, None, nChannels], name="sparkdl_image_input"
    )


def readImagesWithCustomFn(
    path: str, decode_f: Callable[[bytes], np.ndarray | None], numPartition: int | None = None
) -> DataFrame:
    """Read image files into a DataFrame, decoding them in Python with ``decode_f``.

    Files are read with ``SparkContext.binaryFiles`` and decoded in Spark's Python workers,
    which need sparkdl installed.

    Parameters
    ----------
    path
        A file, a directory (its files, not its subdirectories) or a glob, as Hadoop takes them.
    decode_f
        A function of a file's bytes returning its pixels as :func:`imageArrayToStruct` takes
        them (B, G, R(, A) channels), e.g. :func:`PIL_decode`. When it returns None or raises,
        or its array is no image, the file's ``image`` is null.
    numPartition
        Partitions of the result. Default: the SparkContext's default parallelism, as a hint.

    Returns
    -------
    DataFrame
        Columns ``origin`` (the file's URI, not null) and ``image`` (:data:`columnSchema`, with
        the same ``origin``; null when the file could not be decoded), as :func:`readImages`.
    """
    numPartition = _partitions(numPartition, "readImagesWithCustomFn", "numPartition")
    spark = SparkSession.active()
    _refuse_connect(spark, "readImagesWithCustomFn")
    sc = spark.sparkContext
    files = sc.binaryFiles(path, minPartitions=numPartition or sc.defaultParallelism)
    if numPartition is not None and files.getNumPartitions() != numPartition:
        files = files.repartition(numPartition)  # the encoded bytes move, smaller than pixels
    rows = files.map(lambda file: _decode_file(file[0], file[1], decode_f))
    return spark.createDataFrame(rows, _READER_SCHEMA)


def _refuse_connect(spark: SparkSession, caller: str) -> None:
    from sparkdl import _connect

    if _connect.is_connect_session(spark):
        raise NotImplementedError(
            f"{caller} is not supported through Spark Connect: it reads the files through the "
            "SparkContext, which a Connect client does not have. Read them with Spark's "
            'binaryFile source (spark.read.format("binaryFile").load(path), columns path and '
            'content) or its image source (spark.read.format("image").load(path)), or use a '
            "classic session (docs/connect.md)"
        )


def _images_api(spark: SparkSession) -> Any:
    from sparkdl._jvm import facade

    return facade(spark, "PythonImages")


def readImages(
    path: str,
    numPartitions: int | None = None,
    recursive: bool = True,
    dropInvalid: bool = False,
    *,
    numPartition: int | None = None,
    exifOrientation: bool = False,
) -> DataFrame:
    """Read image files into a DataFrame, decoding them on the JVM (sparkdl's image reader).

    JPEG, PNG, GIF and BMP are decoded by TF's own decoders, to the pixels Pillow decodes;
    other formats by ``javax.imageio`` (see docs/guide/images.md). A file that is not an image
    sparkdl decodes right gets a null ``image``: not an image, corrupt or truncated, or
    declaring more pixels (width x height) than the Spark conf
    ``spark.sparkdl.image.maxPixels`` (Default: 89,478,485, Pillow's
    ``Image.MAX_IMAGE_PIXELS``), which is refused before its pixels are decoded. Each
    listed file is read as that file, whatever glob characters its name holds; each directory is
    listed once (link loops end). Not supported through Spark Connect.

    Parameters
    ----------
    path
        A file, a directory or a glob.
    numPartitions
        Partitions of the result. Default: as Spark reads the files.
    recursive
        Read the files of subdirectories too. Default: True.
    dropInvalid
        Leave out files that cannot be decoded, rather than giving them a null image. Default:
        False.
    numPartition
        sparkdl 1.x's name of ``numPartitions``.
    exifOrientation
        Turn JPEGs and PNGs upright by their EXIF orientation tag, as Pillow's
        ``ImageOps.exif_transpose``. Default: False (the tag is ignored, as by Spark's image
        source).

    Returns
    -------
    DataFrame
        Columns ``origin`` (the file, not null) and ``image`` (:data:`columnSchema`; null for
        a file that could not be decoded), in the active SparkSession, which must have
        sparkdl's jars (:func:`sparkdl.session`).
    """
    if numPartition is not None:
        if numPartitions is not None:
            raise TypeError("readImages: give numPartitions or numPartition (old name), not both")
        numPartitions = numPartition
    numPartitions = _partitions(numPartitions, "readImages", "numPartitions")
    spark = SparkSession.getActiveSession()
    if spark is None:
        raise RuntimeError("no active SparkSession: call sparkdl.session() first")
    _refuse_connect(spark, "readImages")
    jdf = _images_api(spark).readImages(
        spark._jsparkSession,
        path,
        -1 if numPartitions is None else numPartitions,
        bool(recursive),
        bool(dropInvalid),
        bool(exifOrientation),
    )
    return DataFrame(jdf, spark)


def decode(
    content: ColumnOrName,
    origin: ColumnOrName | None = None,
    exifOrientation: bool = False,
    size: Sequence[int] | None = None,
    method: str = "area",
) -> Column:
    """Decode a column of image files' bytes into images, on the executors (in the JVM).

    For bytes already in a DataFrame, as the ``content`` column of Spark's ``binaryFile``
    source, in batch or streaming queries::

        files = spark.read.format("binaryFile").load("/data/images")
        images = files.select(sparkdl.image.decode("content", "path").alias("image"))

    Files are decoded as :func:`readImages` decodes them; null bytes, and bytes that are not a
    readable image (or declare more pixels than ``spark.sparkdl.image.maxPixels``, read from
    the active session when the column is made), give a null image.

    Parameters
    ----------
    content
        A binary column (a name or a Column) of whole files.
    origin
        A string column for the images' ``origin`` (e.g. ``binaryFile``'s ``path``). Default:
        null origins.
    exifOrientation
        As :func:`readImages`'. Default: False.
    size
        ``(height, width)``: resize each decoded image to it in the same pass, with ``method``
        (one of :data:`RESIZE_METHODS`), the same pixels as decoding then
        :func:`createResizeImageUDF`. Default: None (the files' own sizes).
    method
        The resize method when ``size`` is given. Default: ``"area"`` (Pillow's BOX).

    Returns
    -------
    Column
        Of :data:`columnSchema`. Needs a SparkSession with sparkdl's jars (:func:`sparkdl.session`).
    """
    from pyspark.sql.classic.column import Column, _to_java_column

    spark = SparkSession.getActiveSession()
    if spark is None:
        raise RuntimeError("no active SparkSession: call sparkdl.session() first")
    jorigin = None if origin is None else _to_java_column(origin)
    api = _images_api(spark)
    if size is None:
        return Column(api.decode(_to_java_column(content), jorigin, bool(exifOrientation)))
    height, width = _positive_size(size, "decode")
    if method not in RESIZE_METHODS:
        raise ValueError(
            f"decode: method must be one of {', '.join(RESIZE_METHODS)}, got {method!r}"
        )
    jcontent = _to_java_column(content)
    return Column(
        api.decode(jcontent, jorigin, bool(exifOrientation), height, width, method)
    )


def _positive_size(size: Any, who: str) -> tuple[int, int]:
    """``size`` as ``(height, width)`` of positive ints, or the ValueError of ``who``."""
    try:
        height, width = size
        ok = all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) and v > 0 for v in size
        )
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"{who}: size must be (height, width) of two positive ints, got {size!r}")
    return int(height), int(width)


#: The resize methods of :func:`createResizeImageUDF` (Pillow's filter of the same name; area is
#: Pillow's BOX).
RESIZE_METHODS = ("area", "bilinear", "bicubic", "nearest")


def createResizeImageUDF(
    size: Sequence[int], method: str = "area"
) -> Callable[[ColumnOrName], Column]:
    """A function that resizes a column of images to ``size`` on the executors (in the JVM).

    sparkdl 1.x's name and use: ``df.select(createResizeImageUDF((224, 224))("image"))``.

    Parameters
    ----------
    size
        ``(height, width)`` of the resized images, positive.
    method
        One of :data:`RESIZE_METHODS`; each equals Pillow's ``Image.resize`` with that filter.
        Default ``"area"`` (Pillow's BOX, the named models' resizing).

    Returns
    -------
    Callable
        Takes an image column (a name or a Column of :data:`columnSchema`) and returns a Column
        of :data:`columnSchema`: 8-bit images stay 8-bit, float32 ones float32, channels in their
        order, ``origin`` kept; images already of ``size`` pass through untouched; null images
        stay null. Needs a SparkSession with sparkdl's jars (:func:`sparkdl.session`).
    """
    height, width = _positive_size(size, "createResizeImageUDF")
    if method not in RESIZE_METHODS:
        raise ValueError(
            f"createResizeImageUDF: method must be one of {', '.join(RESIZE_METHODS)}, "
            f"got {method!r}"
        )

    def resize(image: ColumnOrName) -> Column:
        from pyspark.sql.classic.column import Column, _to_java_column

        spark = SparkSession.getActiveSession()
        if spark is None:
            raise RuntimeError("no active SparkSession: call sparkdl.session() first")
        api = _images_api(spark)
        return Column(api.resize(_to_java_column(image), int(height), int(width), method))

    return resize


# sparkdl 1.x's module of these functions: `from sparkdl.image import imageIO` and
# `import sparkdl.image.imageIO` give this module.
imageIO = sys.modules[__name__]
sys.modules[f"{__name__}.imageIO"] = imageIO
