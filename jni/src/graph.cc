// Graphs and read-only queries on their operations.
#include <new>
#include <string>
#include <vector>

#include "errors.h"
#include "io_sparkdl_jni_NativeBindings.h"
#include "jni_util.h"
#include "raii.h"
#include "tensorflow/c/c_api.h"

using namespace sparkdl;

JNIEXPORT jlong JNICALL Java_io_sparkdl_jni_NativeBindings_graphNew(JNIEnv* env, jclass) {
  return Guard(env, [&]() -> jlong {
    TF_Graph* graph = TF_NewGraph();
    if (graph == nullptr) throw std::bad_alloc();
    return ToHandle(graph);
  });
}

JNIEXPORT void JNICALL Java_io_sparkdl_jni_NativeBindings_graphDelete(JNIEnv* env, jclass,
                                                                      jlong graph) {
  Guard(env, [&] { TF_DeleteGraph(FromHandle<TF_Graph>(env, graph, "graph")); });
}

JNIEXPORT void JNICALL Java_io_sparkdl_jni_NativeBindings_graphImport(JNIEnv* env, jclass,
                                                                      jlong graph,
                                                                      jbyteArray graph_def,
                                                                      jstring prefix) {
  Guard(env, [&] {
    TF_Graph* g = FromHandle<TF_Graph>(env, graph, "graph");
    const std::vector<char> bytes = ToBytes(env, graph_def, "graphDef");
    const std::string pfx = prefix == nullptr ? std::string() : ToCString(env, prefix, "prefix");
    ImportOptionsPtr opts = Owned<ImportOptionsPtr>(TF_NewImportGraphDefOptions());
    if (!pfx.empty()) TF_ImportGraphDefOptionsSetPrefix(opts.get(), pfx.c_str());
    // A borrowed view: TF parses the bytes during the call and keeps nothing.
    const TF_Buffer buffer{bytes.data(), bytes.size(), nullptr};
    StatusPtr status = NewStatus();
    TF_GraphImportGraphDef(g, &buffer, opts.get(), status.get());
    CheckStatus(env, status.get());
  });
}

JNIEXPORT jbyteArray JNICALL Java_io_sparkdl_jni_NativeBindings_graphToGraphDef(JNIEnv* env,
                                                                               jclass,
                                                                               jlong graph) {
  return Guard(env, [&]() -> jbyteArray {
    TF_Graph* g = FromHandle<TF_Graph>(env, graph, "graph");
    BufferPtr buffer = NewBuffer();
    StatusPtr status = NewStatus();
    TF_GraphToGraphDef(g, buffer.get(), status.get());
    CheckStatus(env, status.get());
    return NewByteArray(env, buffer->data, buffer->length);
  });
}

JNIEXPORT jlong JNICALL Java_io_sparkdl_jni_NativeBindings_graphOperation(JNIEnv* env, jclass,
                                                                          jlong graph,
                                                                          jstring name) {
  return Guard(env, [&]() -> jlong {
    TF_Graph* g = FromHandle<TF_Graph>(env, graph, "graph");
    const std::string n = ToCString(env, name, "name");
    return ToHandle(TF_GraphOperationByName(g, n.c_str()));  // null -> 0: "none"
  });
}

JNIEXPORT jlongArray JNICALL Java_io_sparkdl_jni_NativeBindings_graphOperations(JNIEnv* env,
                                                                               jclass,
                                                                               jlong graph) {
  return Guard(env, [&]() -> jlongArray {
    TF_Graph* g = FromHandle<TF_Graph>(env, graph, "graph");
    std::vector<int64_t> ops;
    size_t pos = 0;
    while (TF_Operation* op = TF_GraphNextOperation(g, &pos)) ops.push_back(ToHandle(op));
    return NewLongArray(env, ops.data(), ops.size());
  });
}

JNIEXPORT jstring JNICALL Java_io_sparkdl_jni_NativeBindings_operationName(JNIEnv* env, jclass,
                                                                           jlong op) {
  return Guard(env, [&]() -> jstring {
    return NewJavaString(env, TF_OperationName(FromHandle<TF_Operation>(env, op, "op")));
  });
}

JNIEXPORT jstring JNICALL Java_io_sparkdl_jni_NativeBindings_operationType(JNIEnv* env, jclass,
                                                                           jlong op) {
  return Guard(env, [&]() -> jstring {
    return NewJavaString(env, TF_OperationOpType(FromHandle<TF_Operation>(env, op, "op")));
  });
}

JNIEXPORT jint JNICALL Java_io_sparkdl_jni_NativeBindings_operationNumInputs(JNIEnv* env,
                                                                             jclass, jlong op) {
  return Guard(env, [&]() -> jint {
    return TF_OperationNumInputs(FromHandle<TF_Operation>(env, op, "op"));
  });
}

JNIEXPORT jint JNICALL Java_io_sparkdl_jni_NativeBindings_operationNumOutputs(JNIEnv* env,
                                                                              jclass, jlong op) {
  return Guard(env, [&]() -> jint {
    return TF_OperationNumOutputs(FromHandle<TF_Operation>(env, op, "op"));
  });
}

JNIEXPORT jint JNICALL Java_io_sparkdl_jni_NativeBindings_operationOutputType(JNIEnv* env,
                                                                              jclass, jlong op,
                                                                              jint index) {
  return Guard(env, [&]() -> jint {
    const TF_Output out = CheckedOutput(env, FromHandle<TF_Operation>(env, op, "op"), index,
                                        "index");
    return static_cast<jint>(TF_OperationOutputType(out));
  });
}

JNIEXPORT jlongArray JNICALL Java_io_sparkdl_jni_NativeBindings_operationOutputShape(
    JNIEnv* env, jclass, jlong graph, jlong op, jint index) {
  return Guard(env, [&]() -> jlongArray {
    TF_Graph* g = FromHandle<TF_Graph>(env, graph, "graph");
    const TF_Output out = CheckedOutput(env, FromHandle<TF_Operation>(env, op, "op"), index,
                                        "index");
    StatusPtr status = NewStatus();
    const int num_dims = TF_GraphGetTensorNumDims(g, out, status.get());
    CheckStatus(env, status.get());
    if (num_dims < 0) return nullptr;  // unknown rank
    std::vector<int64_t> dims(static_cast<size_t>(num_dims));
    if (num_dims > 0) {
      TF_GraphGetTensorShape(g, out, dims.data(), num_dims, status.get());
      CheckStatus(env, status.get());
    }
    return NewLongArray(env, dims.data(), dims.size());
  });
}

JNIEXPORT jint JNICALL Java_io_sparkdl_jni_NativeBindings_operationAttrType(JNIEnv* env, jclass,
                                                                            jlong op,
                                                                            jstring attr_name) {
  return Guard(env, [&]() -> jint {
    TF_Operation* o = FromHandle<TF_Operation>(env, op, "op");
    const std::string name = ToCString(env, attr_name, "attrName");
    TF_DataType type = TF_FLOAT;
    StatusPtr status = NewStatus();
    TF_OperationGetAttrType(o, name.c_str(), &type, status.get());
    CheckStatus(env, status.get());
    return static_cast<jint>(type);
  });
}
