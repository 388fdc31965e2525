package io.promptune.common.auth;

import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.promptune.api.CallerIdentity.Role;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A service's authorization table: for each gRPC method (full name), the least role that may call it. Each
 * service produces one (a test may produce another for its stand-in services; they are merged). A method without a rule is refused (fail closed), and each service's coverage test
 * fails on any method of its proto services that has no rule, so a new RPC cannot ship open.
 */
public final class AccessPolicy {

  private final Map<String, Role> leastRole;

  private AccessPolicy(Map<String, Role> leastRole) {
    this.leastRole = Map.copyOf(leastRole);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The least role for a full method name ("promptune.v1.PromptRegistry/Promote"), if the table has a rule. */
  public Optional<Role> leastRole(String fullMethodName) {
    return Optional.ofNullable(leastRole.get(fullMethodName));
  }

  /** The methods of {@code service} that have no rule (for the coverage tests). */
  public List<String> unruled(ServiceDescriptor service) {
    List<String> missing = new ArrayList<>();
    for (MethodDescriptor<?, ?> m : service.getMethods()) {
      if (!leastRole.containsKey(m.getFullMethodName())) {
        missing.add(m.getFullMethodName());
      }
    }
    return missing;
  }

  /**
   * The methods of every service declared in a proto file that have no rule: a service's coverage test passes its
   * own file ({@code RegistryProto.getDescriptor()}), so a new RPC or a new service there cannot ship open.
   */
  public List<String> unruled(com.google.protobuf.Descriptors.FileDescriptor protoFile) {
    List<String> missing = new ArrayList<>();
    for (var service : protoFile.getServices()) {
      for (var method : service.getMethods()) {
        String full = MethodDescriptor.generateFullMethodName(service.getFullName(), method.getName());
        if (!leastRole.containsKey(full)) {
          missing.add(full);
        }
      }
    }
    return missing;
  }

  /** Every rule, for documentation and tests. */
  public Map<String, Role> rules() {
    return leastRole;
  }

  public static final class Builder {
    private final Map<String, Role> rules = new LinkedHashMap<>();

    public Builder require(MethodDescriptor<?, ?> method, Role least) {
      if (rules.putIfAbsent(method.getFullMethodName(), least) != null) {
        throw new IllegalArgumentException("two rules for " + method.getFullMethodName());
      }
      return this;
    }

    /** The same least role for every method of {@code service} (e.g. a test's stand-in for another service). */
    public Builder requireAll(ServiceDescriptor service, Role least) {
      for (MethodDescriptor<?, ?> m : service.getMethods()) {
        require(m, least);
      }
      return this;
    }

    /** Adds another table's rules (a method may have only one rule). */
    public Builder include(AccessPolicy other) {
      for (var e : other.leastRole.entrySet()) {
        if (rules.putIfAbsent(e.getKey(), e.getValue()) != null) {
          throw new IllegalArgumentException("two rules for " + e.getKey());
        }
      }
      return this;
    }

    public AccessPolicy build() {
      return new AccessPolicy(rules);
    }
  }
}
