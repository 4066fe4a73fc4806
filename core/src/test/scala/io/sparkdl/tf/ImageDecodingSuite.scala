package io.sparkdl.tf

import java.nio.file.Files

import org.scalatest.funsuite.AnyFunSuite

import io.sparkdl.NativeLeakCheck
import io.sparkdl.image.ImageFixtures
import io.sparkdl.tf.ImageDecoding.Codec

/** TF's decoders as one graph: what each codec gives, and the shared instance's life. */
class ImageDecodingSuite extends AnyFunSuite with NativeLeakCheck {

  private def file(folder: String, name: String) =
    Files.readAllBytes(ImageFixtures.path(folder).resolve(name))

  test("each codec decodes its format: JPEG and GIF in BGR order, PNG in the file's") {
    val jpeg = ImageDecoding.decodeShared(Codec.Jpeg, file("read_formats", "photo.jpg"))
    assert(jpeg.shape == Seq(7, 9, 3) && jpeg.bytesPerSample == 1 && jpeg.data.length == 7 * 9 * 3)
    val gif = ImageDecoding.decodeShared(Codec.Gif, file("read_formats", "palette.gif"))
    assert(gif.shape == Seq(1, 7, 9, 3))
    val png16 = ImageDecoding.decodeShared(Codec.Png16, file("read_formats", "gray16.png"))
    assert(png16.shape == Seq(7, 9, 1) && png16.bytesPerSample == 4)
    val rgba = ImageDecoding.decodeShared(Codec.Png, file("read_formats", "rgba.png"))
    assert(rgba.shape == Seq(7, 9, 4))
    // A file the op cannot decode is that run's exception, and the next run goes on.
    intercept[InvalidArgumentException](ImageDecoding.decodeShared(Codec.Jpeg, file("read_refused", "truncated.jpg")))
    assert(ImageDecoding.decodeShared(Codec.Jpeg, file("read_formats", "photo.jpg")).data.sameElements(jpeg.data))
  }

  test("a decode on shared decoders closed meanwhile runs again on new ones") {
    val bytes = file("read_formats", "photo.jpg")
    val taken = ImageDecoding.shared
    ImageDecoding.closeShared()
    assert(taken.isClosed)
    intercept[IllegalStateException](taken.decode(Codec.Jpeg, bytes))
    assert(ImageDecoding.decodeOn(taken, Codec.Jpeg, bytes).shape == Seq(7, 9, 3))
    assert(!ImageDecoding.shared.isClosed && (ImageDecoding.shared ne taken))
  }
}
