package io.sparkdl

/**
 * TensorFrames: TensorFlow graphs over DataFrame columns ([[tensorframes.TensorFrames]]).
 * `GraphProgram`, which says what to run, lives in the model layer; it is here too, where
 * TensorFrames users import it from.
 */
package object tensorframes {
  type GraphProgram = io.sparkdl.model.GraphProgram
  val GraphProgram: io.sparkdl.model.GraphProgram.type = io.sparkdl.model.GraphProgram
}
