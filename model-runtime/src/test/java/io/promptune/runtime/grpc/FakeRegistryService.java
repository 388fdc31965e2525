package io.promptune.runtime.grpc;

import io.grpc.stub.StreamObserver;
import io.promptune.api.ApiErrors;
import io.promptune.api.v1.GetVersionRequest;
import io.promptune.api.v1.PromptRegistryGrpc;
import io.promptune.api.v1.PromptVersion;
import io.promptune.api.v1.VersionSelector;
import io.quarkus.grpc.GrpcService;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A PromptRegistry with GetVersion only, served by the test application itself (the runtime's registry client
 * points at the test port in %test), so registry references travel over real gRPC. Tests fill it directly.
 */
@GrpcService
public class FakeRegistryService extends PromptRegistryGrpc.PromptRegistryImplBase {

  static final Map<String, PromptVersion> VERSIONS = new ConcurrentHashMap<>();
  /** "name@env" → version id. */
  static final Map<String, String> ALIASES = new ConcurrentHashMap<>();
  static final AtomicInteger TENSOR_FETCHES = new AtomicInteger();
  static final AtomicInteger METADATA_FETCHES = new AtomicInteger();

  @Override
  public void getVersion(GetVersionRequest request, StreamObserver<PromptVersion> out) {
    VersionSelector s = request.getVersion();
    PromptVersion v = switch (s.getSelectorCase()) {
      case VERSION_ID -> VERSIONS.get(s.getVersionId());
      case NUMBERED -> VERSIONS.values().stream().filter(x -> x.getPromptName().equals(s.getNumbered().getPromptName())
          && x.getNumber() == s.getNumbered().getNumber()).findFirst().orElse(null);
      case ENVIRONMENT -> {
        String id = ALIASES.get(s.getEnvironment().getPromptName() + "@" + s.getEnvironment().getEnvironment());
        yield id == null ? null : VERSIONS.get(id);
      }
      default -> null;
    };
    if (v == null) {
      out.onError(ApiErrors.notFound("no version matches " + s.toString().replace('\n', ' ').strip()));
      return;
    }
    if (request.getOmitTensor()) {
      METADATA_FETCHES.incrementAndGet();
      v = v.toBuilder().clearTensor().build();
    } else {
      TENSOR_FETCHES.incrementAndGet();
    }
    out.onNext(v);
    out.onCompleted();
  }
}
