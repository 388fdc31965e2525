package io.promptune.api.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The v1 contract, checked with buf on every build (docs/api-compatibility.md): the protos pass {@code buf lint}
 * under proto/buf.yaml, and {@code buf breaking} finds nothing against compat/v1-baseline.binpb, the image of v1 as
 * released. The other tests apply a violation or a breaking change to a copy of the protos and show that buf, and
 * therefore this build, fails on it.
 */
class ProtoContractTest {

    private static final String V1 = "src/main/proto/promptune/v1/";

    @TempDir
    Path copy;

    @Test
    void protosPassBufLint() throws Exception {
        Buf.Result lint = Buf.buf(Buf.moduleDir(), "lint");
        assertTrue(lint.ok(), () -> "buf lint found violations (see proto/buf.yaml):\n" + lint.output());
    }

    @Test
    void protosAreCompatibleWithTheReleasedV1() throws Exception {
        Buf.Result breaking = breaking(Buf.moduleDir());
        assertTrue(breaking.ok(), () -> "buf breaking: this change breaks v1 (docs/api-compatibility.md); add a field, "
                + "message or RPC instead, or start promptune.v2:\n" + breaking.output());
    }

    @Test
    void aLintViolationFails() throws Exception {
        copyProtos();
        append(V1 + "common.proto", "\nmessage bad_name {\n  string FooBar = 1;\n}\n");
        Buf.Result lint = Buf.buf(copy, "lint", "--error-format=json");
        assertFalse(lint.ok(), lint.output());
        assertTrue(lint.output().contains("MESSAGE_PASCAL_CASE"), lint.output());
        assertTrue(lint.output().contains("FIELD_LOWER_SNAKE_CASE"), lint.output());
    }

    /** The v1 exceptions in buf.yaml are scoped to promptune/v1: a v2 package is held to all of STANDARD. */
    @Test
    void theV1ExceptionsDoNotCoverANewPackage() throws Exception {
        copyProtos();
        Path v2 = copy.resolve("src/main/proto/promptune/v2/common.proto");
        Files.createDirectories(v2.getParent());
        Files.writeString(v2, """
                syntax = "proto3";
                package promptune.v2;
                enum DType {
                  DTYPE_UNSPECIFIED = 0;
                  FLOAT32 = 1;
                }
                """);
        Buf.Result lint = Buf.buf(copy, "lint", "--error-format=json");
        assertFalse(lint.ok(), lint.output());
        assertTrue(lint.output().contains("ENUM_VALUE_PREFIX"), lint.output());
        assertTrue(lint.output().contains("promptune/v2/common.proto"), lint.output());
        assertFalse(lint.output().contains("promptune/v1/"), lint.output());
    }

    static Stream<Arguments> breakingChanges() {
        return Stream.of(
                // Wire: field 3 disappears (old clients' data would land in an unknown field).
                Arguments.of("renumber a field", V1 + "common.proto", "  bytes data = 3;", "  bytes data = 4;",
                        "FIELD_NO_DELETE"),
                Arguments.of("delete an RPC", V1 + "runtime.proto",
                        "  rpc Tokenize(TokenizeRequest) returns (TokenizeResponse);\n", "", "RPC_NO_DELETE"),
                // JSON: the field's JSON name ("shape") changes although the wire format does not.
                Arguments.of("rename a field", V1 + "common.proto", "  repeated int64 shape = 1;",
                        "  repeated int64 dims = 1;", "FIELD_SAME_JSON_NAME"),
                // JSON: enum values travel by name.
                Arguments.of("rename an enum value", V1 + "common.proto", "  FLOAT32 = 1;", "  F32 = 1;",
                        "ENUM_VALUE_SAME_NAME"),
                Arguments.of("change a field's type", V1 + "common.proto", "  int32 page_size = 1;",
                        "  int64 page_size = 1;", "FIELD_SAME_TYPE"),
                Arguments.of("make a field repeated", V1 + "common.proto", "  string page_token = 2;",
                        "  repeated string page_token = 2;", "FIELD_SAME_CARDINALITY"),
                Arguments.of("change the Java package", V1 + "runtime.proto",
                        "option java_package = \"io.promptune.api.v1\";",
                        "option java_package = \"io.promptune.api.v1.runtime\";", "FILE_SAME_JAVA_PACKAGE"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("breakingChanges")
    void aBreakingChangeFails(String what, String file, String from, String to, String rule) throws Exception {
        copyProtos();
        replace(file, from, to);
        Buf.Result breaking = breaking(copy);
        assertFalse(breaking.ok(), () -> what + " was not reported as breaking:\n" + breaking.output());
        assertTrue(breaking.output().contains(rule), () -> what + ": expected " + rule + " in\n" + breaking.output());
    }

    @Test
    void additionsAreNotBreaking() throws Exception {
        copyProtos();
        replace(V1 + "common.proto", "  bytes data = 3;", "  bytes data = 3;\n  // A new, optional field.\n  string name = 4;");
        replace(V1 + "runtime.proto", "  rpc Tokenize(TokenizeRequest) returns (TokenizeResponse);",
                "  rpc Tokenize(TokenizeRequest) returns (TokenizeResponse);\n"
                        + "  // A new RPC.\n  rpc Detokenize(DetokenizeRequest) returns (DetokenizeResponse);");
        append(V1 + "runtime.proto", "\nmessage DetokenizeRequest {\n  repeated int32 ids = 1;\n}\n"
                + "\nmessage DetokenizeResponse {\n  string text = 1;\n}\n");
        Buf.Result breaking = breaking(copy);
        assertTrue(breaking.ok(), breaking.output());
        Buf.Result lint = Buf.buf(copy, "lint");
        assertTrue(lint.ok(), lint.output());
    }

    private static Buf.Result breaking(Path workspace) throws Exception {
        Path baseline = Buf.moduleDir().resolve("compat/v1-baseline.binpb");
        return Buf.buf(workspace, "breaking", "--error-format=json", "--against", baseline.toString());
    }

    private void copyProtos() throws IOException {
        Path module = Buf.moduleDir();
        Files.copy(module.resolve("buf.yaml"), copy.resolve("buf.yaml"));
        Path src = module.resolve("src/main/proto");
        try (Stream<Path> files = Files.walk(src)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = copy.resolve("src/main/proto").resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    private void replace(String file, String from, String to) throws IOException {
        Path p = copy.resolve(file);
        String text = Files.readString(p);
        assertEquals(1, text.split(java.util.regex.Pattern.quote(from), -1).length - 1,
                () -> "the test expects exactly one \"" + from + "\" in " + file);
        Files.writeString(p, text.replace(from, to));
    }

    private void append(String file, String text) throws IOException {
        Path p = copy.resolve(file);
        Files.writeString(p, Files.readString(p) + text);
    }
}
