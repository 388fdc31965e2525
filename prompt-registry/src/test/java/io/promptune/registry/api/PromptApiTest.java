package io.promptune.registry.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status.Code;
import io.promptune.api.CallerIdentity.Role;
import io.promptune.api.v1.CreatePromptRequest;
import io.promptune.api.v1.ErrorReason;
import io.promptune.api.v1.GetPromptRequest;
import io.promptune.api.v1.ListPromptsRequest;
import io.promptune.api.v1.ListPromptsResponse;
import io.promptune.api.v1.PageRequest;
import io.promptune.api.v1.Prompt;
import io.promptune.registry.RegistryTestSupport;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
class PromptApiTest extends RegistryTestSupport {

  @Test
  void createThenGet() {
    String name = uniqueName("sst2");
    Prompt created = as("alice", Role.TRAINER).createPrompt(CreatePromptRequest.newBuilder().setName(name)
        .setTask("sst2").setDescription("sentiment").build());
    assertEquals(name, created.getName());
    assertEquals("alice", created.getOwner(), "owner defaults to the caller");
    assertEquals(0, created.getLatestVersion());
    assertTrue(created.getCreateTime().getSeconds() > 0);

    Prompt got = system().getPrompt(GetPromptRequest.newBuilder().setName(name).build());
    assertEquals(created, got);
  }

  @Test
  void duplicateNameIsAlreadyExists() {
    String name = uniqueName("dup");
    system().createPrompt(CreatePromptRequest.newBuilder().setName(name).build());
    String msg = assertFails(Code.ALREADY_EXISTS, ErrorReason.ALREADY_EXISTS,
        () -> system().createPrompt(CreatePromptRequest.newBuilder().setName(name).build()));
    assertContains(msg, name);
  }

  @Test
  void invalidNamesAreRejected() {
    for (String bad : List.of("", "-starts-with-dash", "has space", "a@b", "a:b", "x".repeat(129), "ümlaut")) {
      String msg = assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT,
          () -> system().createPrompt(CreatePromptRequest.newBuilder().setName(bad).build()));
      assertContains(msg, "name");
    }
  }

  @Test
  void unknownPromptIsNotFound() {
    String msg = assertFails(Code.NOT_FOUND, ErrorReason.NOT_FOUND,
        () -> system().getPrompt(GetPromptRequest.newBuilder().setName("no-such-prompt-x").build()));
    assertContains(msg, "no-such-prompt-x");
  }

  @Test
  void viewerCannotCreate() {
    String msg = assertFails(Code.PERMISSION_DENIED, ErrorReason.PERMISSION_DENIED,
        () -> as("victor", Role.VIEWER).createPrompt(CreatePromptRequest.newBuilder().setName(uniqueName("v"))
            .build()));
    assertContains(msg, "trainer");
  }

  @Test
  void listPagesThroughOneTaskInNameOrder() {
    String task = uniqueName("task");
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      String name = task + "-p" + i;
      names.add(name);
      system().createPrompt(CreatePromptRequest.newBuilder().setName(name).setTask(task).build());
    }
    system().createPrompt(CreatePromptRequest.newBuilder().setName(uniqueName("other")).setTask("other").build());

    List<String> seen = new ArrayList<>();
    String token = "";
    int pages = 0;
    do {
      ListPromptsResponse page = system().listPrompts(ListPromptsRequest.newBuilder().setTask(task)
          .setPage(PageRequest.newBuilder().setPageSize(3).setPageToken(token)).build());
      page.getPromptsList().forEach(p -> seen.add(p.getName()));
      token = page.getNextPageToken();
      pages++;
    } while (!token.isEmpty());
    assertEquals(names, seen);
    assertEquals(3, pages);
  }

  @Test
  void pageTokenIsTiedToItsFilterAndBadTokensAreRejected() {
    String task = uniqueName("task");
    for (int i = 0; i < 3; i++) {
      system().createPrompt(CreatePromptRequest.newBuilder().setName(task + "-" + i).setTask(task).build());
    }
    String token = system().listPrompts(ListPromptsRequest.newBuilder().setTask(task)
        .setPage(PageRequest.newBuilder().setPageSize(1)).build()).getNextPageToken();
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> system().listPrompts(
        ListPromptsRequest.newBuilder().setTask("another").setPage(PageRequest.newBuilder().setPageToken(token))
            .build()));
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> system().listPrompts(
        ListPromptsRequest.newBuilder().setPage(PageRequest.newBuilder().setPageToken("garbage!")).build()));
    assertFails(Code.INVALID_ARGUMENT, ErrorReason.INVALID_ARGUMENT, () -> system().listPrompts(
        ListPromptsRequest.newBuilder().setPage(PageRequest.newBuilder().setPageSize(-1)).build()));
  }
}
