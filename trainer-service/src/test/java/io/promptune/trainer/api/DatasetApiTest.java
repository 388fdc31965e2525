package io.promptune.trainer.api;

import io.promptune.testing.EmbeddedDatabaseResource;
import static io.promptune.trainer.api.TestClients.ALICE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.promptune.api.ApiErrors;
import io.promptune.api.v1.Dataset;
import io.promptune.api.v1.DatasetFormat;
import io.promptune.api.v1.DatasetHeader;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.GetDatasetRequest;
import io.promptune.api.v1.ListDatasetsRequest;
import io.promptune.api.v1.PageRequest;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(value = EmbeddedDatabaseResource.class, restrictToAnnotatedClass = false)
@QuarkusTestResource(value = TestBackendsResource.class, restrictToAnnotatedClass = false)
class DatasetApiTest {

  private ManagedChannel ch;

  @BeforeEach
  void open() {
    ch = TestClients.channel();
  }

  @AfterEach
  void close() throws InterruptedException {
    ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static DatasetHeader.Builder header(String name, DatasetFormat f) {
    return DatasetHeader.newBuilder().setName(name).setFormat(f);
  }

  @Test
  void uploadsJsonlInChunksAndHoldsOutValidation() {
    StringBuilder sb = new StringBuilder();
    String tag = UUID.randomUUID().toString();
    for (int i = 0; i < 50; i++) {
      sb.append("{\"input\": \"question ").append(i).append(' ').append(tag).append("\", \"target\": \"a").append(i)
          .append("\"}\n");
    }
    Dataset d = TestClients.upload(ch, ALICE, header(unique("qa"), DatasetFormat.JSONL).build(), sb.toString(),
        null, 100);
    assertEquals(45, d.getNumTrain());
    assertEquals(5, d.getNumValidation());
    assertEquals(java.util.List.of("input", "target"), d.getFieldsList());
    assertTrue(d.getId().matches("[0-9a-f]{64}"));

    // Same records again, under another name and in bigger chunks: the stored dataset comes back.
    Dataset again = TestClients.upload(ch, ALICE, header(unique("qa-copy"), DatasetFormat.JSONL).build(),
        sb.toString(), null, 7000);
    assertEquals(d.getId(), again.getId());
    assertEquals(d.getName(), again.getName());

    var trainer = TestClients.trainer(ch, ALICE);
    assertEquals(d, trainer.getDataset(GetDatasetRequest.newBuilder().setDataset(d.getName()).build()));
    assertEquals(d, trainer.getDataset(GetDatasetRequest.newBuilder().setDataset(d.getId()).build()));
  }

  @Test
  void csvWithMappingAndExplicitValidation() {
    String tag = UUID.randomUUID().toString().substring(0, 6);
    Dataset d = TestClients.upload(ch, ALICE, header(unique("sst"), DatasetFormat.CSV)
            .putColumnMapping("text", "sentence").putColumnMapping("y", "label").build(),
        "text,y,idx\n\"good, " + tag + "\",1,0\nbad,0,1\n", "y,text\n1,fine\n", 5);
    assertEquals(2, d.getNumTrain());
    assertEquals(1, d.getNumValidation());
    assertEquals(java.util.List.of("label", "sentence"), d.getFieldsList());
  }

  @Test
  void errorsSayWhichLineAndWhy() {
    var e = assertThrows(StatusRuntimeException.class, () -> TestClients.upload(ch, ALICE,
        header(unique("bad"), DatasetFormat.JSONL).build(),
        "{\"input\":\"a\",\"target\":\"b\"}\n{\"input\":\"c\"}\n", null, 10));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertEquals(ErrorReason.MALFORMED_FILE, TestClients.reason(e));
    assertEquals("train file, line 2: missing field \"target\"", e.getStatus().getDescription());
    assertEquals("2", ApiErrors.errorInfoOf(e).orElseThrow().getMetadataMap().get("line"));

    var cols = assertThrows(StatusRuntimeException.class, () -> TestClients.upload(ch, ALICE,
        header(unique("bad"), DatasetFormat.CSV).build(), "a,b\n1,2\n", "a,b\n1,2\n3\n", 1000));
    assertEquals("validation file, line 3: expected 2 columns, found 1", cols.getStatus().getDescription());

    var empty = assertThrows(StatusRuntimeException.class, () -> TestClients.upload(ch, ALICE,
        header(unique("bad"), DatasetFormat.CSV).build(), "", null, 1000));
    assertEquals(ErrorReason.MALFORMED_FILE, TestClients.reason(empty));

    // Over the size limit (200000 bytes in tests).
    var big = assertThrows(StatusRuntimeException.class, () -> TestClients.upload(ch, ALICE,
        header(unique("big"), DatasetFormat.CSV).build(), "a\n" + "x\n".repeat(150_000), null, 60_000));
    assertEquals(Status.Code.INVALID_ARGUMENT, big.getStatus().getCode());
    assertEquals(ErrorReason.MALFORMED_FILE, TestClients.reason(big));

    var noHeader = assertThrows(StatusRuntimeException.class, () -> TestClients.upload(ch, ALICE,
        header("", DatasetFormat.CSV).build(), "a\n1\n", null, 1000));
    assertEquals(ErrorReason.INVALID_ARGUMENT, TestClients.reason(noHeader));
  }

  @Test
  void nameTakenByOtherRecordsAndViewerCannotUpload() {
    String name = unique("taken");
    TestClients.upload(ch, ALICE, header(name, DatasetFormat.CSV).build(), "input,target\n" + name + ",x\n", null,
        100);
    var dup = assertThrows(StatusRuntimeException.class, () -> TestClients.upload(ch, ALICE,
        header(name, DatasetFormat.CSV).build(), "input,target\nsomething else,y\n", null, 100));
    assertEquals(Status.Code.ALREADY_EXISTS, dup.getStatus().getCode());
    var denied = assertThrows(StatusRuntimeException.class, () -> TestClients.upload(ch, TestClients.VIEWER,
        header(unique("v"), DatasetFormat.CSV).build(), "input,target\na,b\n", null, 100));
    assertEquals(Status.Code.PERMISSION_DENIED, denied.getStatus().getCode());
    var missing = assertThrows(StatusRuntimeException.class, () -> TestClients.trainer(ch, ALICE)
        .getDataset(GetDatasetRequest.newBuilder().setDataset("no-such-dataset").build()));
    assertEquals(Status.Code.NOT_FOUND, missing.getStatus().getCode());
  }

  @Test
  void listingPagesNewestFirst() {
    for (int i = 0; i < 3; i++) {
      TestClients.upload(ch, ALICE, header(unique("page"), DatasetFormat.CSV).build(),
          "input,target\n" + UUID.randomUUID() + ",x\n", null, 100);
    }
    var trainer = TestClients.trainer(ch, TestClients.VIEWER);
    Set<String> seen = new HashSet<>();
    String token = "";
    com.google.protobuf.Timestamp previous = null;
    int pages = 0;
    do {
      var page = trainer.listDatasets(ListDatasetsRequest.newBuilder()
          .setPage(PageRequest.newBuilder().setPageSize(2).setPageToken(token)).build());
      for (Dataset d : page.getDatasetsList()) {
        assertTrue(seen.add(d.getId()), "no dataset twice");
        if (previous != null) {
          assertTrue(com.google.protobuf.util.Timestamps.compare(previous, d.getCreateTime()) >= 0);
        }
        previous = d.getCreateTime();
      }
      token = page.getNextPageToken();
      pages++;
    } while (!token.isEmpty());
    assertTrue(seen.size() >= 3);
    assertTrue(pages >= 2);
    assertNotEquals(0, seen.size());
  }
}
