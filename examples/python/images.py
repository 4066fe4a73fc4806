"""Images (docs/guide/images.md): read a folder of images, run a Keras CNN over them as a stage
and as a SQL function.

Run: python examples/python/images.py
"""

import tempfile
from pathlib import Path

import numpy as np
import sparkdl
import tensorflow as tf
from PIL import Image
from sparkdl import TFImageTransformer, imageStructToArray, readImages
from sparkdl.udf import registerKerasImageUDF

spark = sparkdl.session()
tf.keras.utils.set_random_seed(3)
cnn = tf.keras.Sequential(
    [
        tf.keras.Input((32, 32, 3)),
        tf.keras.layers.Rescaling(1 / 255),
        tf.keras.layers.Conv2D(4, 3, activation="relu"),
        tf.keras.layers.GlobalAveragePooling2D(),
        tf.keras.layers.Dense(3, activation="softmax"),
    ]
)

with tempfile.TemporaryDirectory() as tmp:
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (12, 32, 32, 3), dtype=np.uint8)
    for i, pixels in enumerate(rgb):
        Image.fromarray(pixels).save(Path(tmp) / f"img_{i:02d}.png")
    (Path(tmp) / "broken.png").write_bytes(b"not an image")

    images = readImages(tmp)  # origin, image (null if broken)
    valid = images.where("image IS NOT NULL")
    stage = TFImageTransformer(model=cnn, inputCol="image", outputCol="probs", outputMode="vector")
    probs = {r.origin: r.probs.toArray() for r in stage.transform(valid).collect()}

    registerKerasImageUDF(spark, "classify", cnn)  # SELECT classify(image) ...
    valid.createOrReplaceTempView("images")
    by_sql = {
        r.origin: np.array(r.p)
        for r in spark.sql("SELECT origin, classify(image) AS p FROM images").collect()
    }

    first = valid.orderBy("origin").first()
    bgr = imageStructToArray(first.image)  # stored as B, G, R like Spark's images
    assert (bgr[..., ::-1] == rgb[0]).all()
    n_files, n_valid = images.count(), valid.count()

expected = cnn.predict(rgb.astype(np.float32), verbose=0)
for i in range(len(rgb)):
    origin = next(o for o in probs if o.endswith(f"img_{i:02d}.png"))
    assert np.allclose(probs[origin], expected[i], atol=1e-5)
    assert np.allclose(by_sql[origin], expected[i], atol=1e-5)
print(
    f"images: read {n_files} files ({n_files - n_valid} undecodable), "
    f"the CNN's outputs as a stage and as a SQL function equal Keras"
)
spark.stop()
