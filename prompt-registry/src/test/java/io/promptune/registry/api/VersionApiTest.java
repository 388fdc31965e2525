package io.promptune.registry.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status.Code;
import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.Tensors;
import io.promptune.api.v1.DType;
import io.promptune.api.v1.EnvironmentVersion;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.GetPromptRequest;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.LineageEdge;
import io.promptune.api.v1.LineageRelation;
import io.promptune.api.v1.ListVersionsRequest;
import io.promptune.api.v1.ListVersionsResponse;
import io.promptune.api.v1.NumberedVersion;
import io.promptune.api.v1.PageRequest;
import io.promptune.api.v1.PromoteRequest;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.Tensor;
import io.promptune.api.v1.VersionSelector;
import io.promptune.registry.RegistryTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
class VersionApiTest extends RegistryTestSupport {

  @Test
  void publishStoresEverythingAndReturnsItByEverySelector() throws Exception {
    String name = uniqueName("pub");
    Tensor t = tensor(5, 8, 42);
    PromptVersion v = as("tina", Role.TRAINER).publishVersion(publishRequest(name, t).setTrainingJobId("job-1")
        .putHyperparameters("lr", "0.3").putMetrics("accuracy", 0.91).putMetrics("tiny", 1.0e-300)
        .addParents(LineageEdge.newBuilder().setParentExternalRef("hf://somewhere")
            .setRelation(LineageRelation.INITIALIZED_FROM))
        .build());
    assertEquals(1, v.getNumber());
    assertEquals(5, v.getLength());
    assertEquals(8, v.getDModel());
    assertEquals("tina", v.getCreatedBy());
    assertFalse(v.hasTensor(), "publish answers without echoing the bytes");
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(t.getData().toByteArray()));
    assertEquals(sha, v.getSha256());
    assertEquals(1, system().getPrompt(GetPromptRequest.newBuilder().setName(name).build()).getLatestVersion());

    PromptVersion byId = system().getVersion(GetVersionRequest.newBuilder().setVersion(id(v.getId())).build());
    assertEquals(t, byId.getTensor(), "bytes come back bit-exact");
    assertEquals(0.91, byId.getMetricsOrThrow("accuracy"));
    assertEquals(1.0e-300, byId.getMetricsOrThrow("tiny"));
    assertEquals("0.3", byId.getHyperparametersOrThrow("lr"));
    assertEquals("job-1", byId.getTrainingJobId());
    assertEquals("t5-small", byId.getBaseModelId());
    assertEquals(FINGERPRINT, byId.getBaseModelFingerprint());
    assertEquals("sha256:tok", byId.getTokenizerFingerprint());
    assertEquals(1, byId.getParentsCount());
    assertEquals("hf://somewhere", byId.getParents(0).getParentExternalRef());
    assertEquals(v.getId(), byId.getParents(0).getChildVersionId());
    assertEquals(v.getCreateTime(), byId.getCreateTime());

    VersionSelector numbered = VersionSelector.newBuilder().setNumbered(NumberedVersion.newBuilder()
        .setPromptName(name).setNumber(1)).build();
    assertEquals(byId, system().getVersion(GetVersionRequest.newBuilder().setVersion(numbered).build()));
    assertEquals(byId, system().getVersion(GetVersionRequest.newBuilder().setVersion(ref(name + ":1")).build()));
    assertEquals(byId, system().getVersion(GetVersionRequest.newBuilder().setVersion(ref(v.getId())).build()));

    system().promote(PromoteRequest.newBuilder().setPromptName(name).setEnvironment("dev").setVersionNumber(1)
        .build());
    VersionSelector env = VersionSelector.newBuilder().setEnvironment(EnvironmentVersion.newBuilder()
        .setPromptName(name).setEnvironment("dev")).build();
    assertEquals(byId, system().getVersion(GetVersionRequest.newBuilder().setVersion(env).build()));
    assertEquals(byId, system().getVersion(GetVersionRequest.newBuilder().setVersion(ref(name + "@dev")).build()));

    PromptVersion meta = system().getVersion(GetVersionRequest.newBuilder().setVersion(id(v.getId()))
        .setOmitTensor(true).build());
    assertFalse(meta.hasTensor());
    assertEquals(sha, meta.getSha256());
  }

  @Test
  void listIsNewestFirstAndPaged() {
    String name = uniqueName("list");
    for (int i = 0; i < 5; i++) {
      publish(name, 2, 4);
    }
    List<Integer> numbers = new ArrayList<>();
    String token = "";
    do {
      ListVersionsResponse page = system().listVersions(ListVersionsRequest.newBuilder().setPromptName(name)
          .setPage(PageRequest.newBuilder().setPageSize(2).setPageToken(token)).build());
      page.getVersionsList().forEach(v -> {
        numbers.add(v.getNumber());
        assertFalse(v.hasTensor());
      });
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    assertEquals(List.of(5, 4, 3, 2, 1), numbers);

    ListVersionsResponse withTensors = system().listVersions(ListVersionsRequest.newBuilder().setPromptName(name)
        .setIncludeTensor(true).build());
    assertTrue(withTensors.getVersionsList().stream().allMatch(PromptVersion::hasTensor));
    assertEquals("", withTensors.getNextPageToken());
  }

  @Test
  void unknownNamesAreNotFound() {
    String name = uniqueName("nf");
    publish(name, 1, 4);
    assertContains(assertFails(Code.NOT_FOUND, ErrorReason.NOT_FOUND, () -> system().getVersion(
        GetVersionRequest.newBuilder().setVersion(ref(name + ":2")).build())), "versions are 1 to 1");
    assertContains(assertFails(Code.NOT_FOUND, ErrorReason.NOT_FOUND, () -> system().getVersion(
        GetVersionRequest.newBuilder().setVersion(ref("nobody-has-this:1")).build())), "nobody-has-this");
    assertContains(assertFails(Code.NOT_FOUND, ErrorReason.NOT_FOUND, () -> system().getVersion(
        GetVersionRequest.newBuilder().setVersion(ref(name + "@prod")).build())), "no version in environment");
    assertContains(assertFails(Code.NOT_FOUND, ErrorReason.NOT_FOUND, () -> system().getVersion(
        GetVersionRequest.newBuilder().setVersion(ref(name + "@qa")).build())), "not configured");
    String randomId = UUID.randomUUID().toString();
    assertContains(assertFails(Code.NOT_FOUND, ErrorReason.NOT_FOUND, () -> system().getVersion(
        GetVersionRequest.newBuilder().setVersion(id(randomId)).build())), randomId);
    assertFails(Code.NOT_FOUND, ErrorReason.NOT_FOUND, () -> system().listVersions(
        ListVersionsRequest.newBuilder().setPromptName("nobody-has-this").build()));
    // Publishing to a missing prompt without create_prompt_if_missing.
    assertContains(assertFails(Code.NOT_FOUND, ErrorReason.NOT_FOUND, () -> system().publishVersion(
        publishRequest(uniqueName("missing"), tensor(1, 4, 1)).setCreatePromptIfMissing(false).build())),
        "create_prompt_if_missing");
  }

  @Test
  void badSelectorsAreInvalidArgument() {
    for (String bad : List.of("", "just-a-name", "name:", "name:0", "name:-1", "name:x", "name@", "@prod",
        "not-a-uuid-at-all-but-36-chars-long!", "bad name:1", "a@b@c")) {
      assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT,
          () -> system().getVersion(GetVersionRequest.newBuilder().setVersion(ref(bad)).build()));
    }
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT,
        () -> system().getVersion(GetVersionRequest.newBuilder().build()));
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT,
        () -> system().getVersion(GetVersionRequest.newBuilder().setVersion(id("1-2-3-4-5")).build()));
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> system().getVersion(
        GetVersionRequest.newBuilder().setVersion(VersionSelector.newBuilder().setNumbered(
            NumberedVersion.newBuilder().setPromptName("x").setNumber(0))).build()));
  }

  @Test
  void badTensorsAreRejectedWithAReason() {
    String name = uniqueName("bad");
    // Wrong byte count for the shape.
    Tensor shortData = tensor(2, 4, 1).toBuilder().setData(ByteString.copyFrom(new byte[12])).build();
    assertContains(publishFails(name, ErrorReason.INVALID_TENSOR, shortData), "needs 32 bytes");
    // Wrong rank.
    assertContains(publishFails(name, ErrorReason.SHAPE_MISMATCH, Tensors.float32(new float[8], 8)), "2-D");
    assertContains(publishFails(name, ErrorReason.SHAPE_MISMATCH, Tensors.float32(new float[8], 2, 2, 2)), "2-D");
    // Wrong dtype.
    assertContains(publishFails(name, ErrorReason.INVALID_TENSOR, tensor(2, 4, 1).toBuilder().setDtype(DType.FLOAT16)
        .build()), "FLOAT32");
    // Zero rows.
    publishFails(name, ErrorReason.INVALID_TENSOR, Tensors.float32(new float[0], 0, 4));
    // NaN and infinity, with their position.
    float[] values = new float[8];
    values[5] = Float.NaN;
    assertContains(publishFails(name, ErrorReason.INVALID_TENSOR, Tensors.float32(values, 2, 4)), "[1, 1]");
    values[5] = Float.NEGATIVE_INFINITY;
    assertContains(publishFails(name, ErrorReason.INVALID_TENSOR, Tensors.float32(values, 2, 4)), "finite");
    // Too many rows.
    assertContains(publishFails(name, ErrorReason.INVALID_TENSOR, Tensors.float32(new float[4097], 4097, 1)), "4096");
    // Over 16 MiB (4096 x 1025 floats), checked before the bytes are looked at.
    Tensor huge = Tensor.newBuilder().setDtype(DType.FLOAT32).addShape(4096).addShape(1025).build();
    assertContains(publishFails(name, ErrorReason.INVALID_TENSOR, huge), "16777216");
    // No tensor at all.
    publishFails(name, ErrorReason.INVALID_TENSOR, null);
    // Nothing was written by any of the above.
    assertFails(Code.NOT_FOUND, ErrorReason.NOT_FOUND, () -> system().getPrompt(
        GetPromptRequest.newBuilder().setName(name).build()));
  }

  @Test
  void largestAllowedTensorRoundTrips() {
    String name = uniqueName("big");
    // Exactly 16 MiB: 4096 x 1024 float32.
    ByteBuffer buf = ByteBuffer.allocate(4096 * 1024 * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 4096 * 1024; i++) {
      buf.putFloat(i * 1e-6f);
    }
    Tensor t = Tensor.newBuilder().setDtype(DType.FLOAT32).addShape(4096).addShape(1024)
        .setData(ByteString.copyFrom(buf.array())).build();
    PromptVersion v = system().publishVersion(publishRequest(name, t).build());
    assertEquals(t, system().getVersion(GetVersionRequest.newBuilder().setVersion(id(v.getId())).build())
        .getTensor());
  }

  @Test
  void listingWithTensorsCapsTheBytesPerPage() {
    String name = uniqueName("heavy");
    // 12 MiB each: two fit in a page's 32 MiB of tensor data, three do not.
    Tensor t = Tensor.newBuilder().setDtype(DType.FLOAT32).addShape(4096).addShape(768)
        .setData(ByteString.copyFrom(new byte[4096 * 768 * 4])).build();
    for (int i = 0; i < 3; i++) {
      system().publishVersion(publishRequest(name, t).build());
    }
    ListVersionsResponse first = system().listVersions(ListVersionsRequest.newBuilder().setPromptName(name)
        .setIncludeTensor(true).build());
    assertEquals(List.of(3, 2), first.getVersionsList().stream().map(PromptVersion::getNumber).toList());
    assertTrue(first.getVersionsList().stream().allMatch(v -> v.getTensor().equals(t)));
    ListVersionsResponse second = system().listVersions(ListVersionsRequest.newBuilder().setPromptName(name)
        .setIncludeTensor(true).setPage(PageRequest.newBuilder().setPageToken(first.getNextPageToken())).build());
    assertEquals(List.of(1), second.getVersionsList().stream().map(PromptVersion::getNumber).toList());
    assertEquals("", second.getNextPageToken());
    // Without tensors the page size alone decides.
    assertEquals(3, system().listVersions(ListVersionsRequest.newBuilder().setPromptName(name).build())
        .getVersionsCount());
  }

  @Test
  void otherBadFieldsAreRejected() {
    String name = uniqueName("fields");
    Tensor t = tensor(1, 4, 3);
    assertContains(assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> system().publishVersion(
        publishRequest(name, t).setBaseModelFingerprint("").build())), "base_model_fingerprint");
    assertContains(assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> system().publishVersion(
        publishRequest(name, t).setBaseModelId("").build())), "base_model_id");
    assertContains(assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> system().publishVersion(
        publishRequest(name, t).putMetrics("loss", Double.NaN).build())), "loss");
    assertContains(assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> system().publishVersion(
        publishRequest("bad name", t).build())), "bad name");
    assertContains(assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> system().publishVersion(
        publishRequest(name, t).addParents(LineageEdge.newBuilder().setParentExternalRef("x")).build())),
        "relation");
    assertContains(assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> system().publishVersion(
        publishRequest(name, t).addParents(LineageEdge.newBuilder().setRelation(LineageRelation.INITIALIZED_FROM))
            .build())), "exactly one");
    assertContains(assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> system().publishVersion(
        publishRequest(name, t).addParents(LineageEdge.newBuilder().setParentVersionId("nope")
            .setRelation(LineageRelation.INITIALIZED_FROM)).build())), "parents[0].parent_version_id");
    String ghost = UUID.randomUUID().toString();
    assertContains(assertFails(Code.NOT_FOUND, ErrorReason.NOT_FOUND, () -> system().publishVersion(
        publishRequest(name, t).addParents(LineageEdge.newBuilder().setParentVersionId(ghost)
            .setRelation(LineageRelation.INITIALIZED_FROM)).build())), ghost);
    // The failed publish with create_prompt_if_missing left no prompt behind: one transaction.
    assertFails(Code.NOT_FOUND, ErrorReason.NOT_FOUND, () -> system().getPrompt(
        GetPromptRequest.newBuilder().setName(name).build()));
  }

  @Test
  void onlyTrainersPublish() {
    assertContains(assertFails(Code.PERMISSION_DENIED, ErrorReason.PERMISSION_DENIED, () -> as("v", Role.VIEWER)
        .publishVersion(publishRequest(uniqueName("r"), tensor(1, 4, 1)).build())), "trainer");
    as("o", Role.OPERATOR).publishVersion(publishRequest(uniqueName("r"), tensor(1, 4, 1)).build());
  }

  private String publishFails(String name, ErrorReason reason, Tensor t) {
    var request = publishRequest(name, Tensor.getDefaultInstance());
    if (t == null) {
      request.clearTensor();
    } else {
      request.setTensor(t);
    }
    return assertFails(Code.INVALID_ARGUMENT, reason, () -> system().publishVersion(request.build()));
  }
}
