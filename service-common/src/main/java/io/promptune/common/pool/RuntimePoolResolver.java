package io.promptune.common.pool;

import io.grpc.CallOptions;
import io.grpc.EquivalentAddressGroup;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.promptune.api.v1.GetModelInfoRequest;
import io.promptune.api.v1.ModelInfo;
import io.promptune.api.v1.ModelRuntimeGrpc;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * A gRPC name resolver for a pool of model runtime replicas: a static list of {@code host:port} targets, or one name
 * resolved to all its addresses (a Kubernetes headless Service), re-resolved periodically and whenever the channel
 * asks (a replica's connection broke). Before a replica is handed to the load balancer, it is asked for its model
 * (GetModelInfo): every replica of a pool must serve the same model fingerprint, and one that reports another (or
 * has not answered yet) stays out of rotation, which is logged. The expected fingerprint is configured, or else the
 * one most replicas report (ties: the first target's), each replica voting with its last answer. A pool of one
 * address is handed over without a probe.
 *
 * <p>Balancing (round_robin), client-side health checking (a replica whose grpc.health.v1 status is NOT_SERVING,
 * e.g. loading its model or draining, gets no calls) and retries on another replica are the channel's service
 * config ({@link RuntimePool#serviceConfig}).
 */
public final class RuntimePoolResolver extends NameResolver {

  private static final Logger LOG = Logger.getLogger(RuntimePoolResolver.class);

  /**
   * What the pool needs besides the channel target. {@code sameModel} false makes it a plain static pool (no
   * GetModelInfo probe, every address in rotation): for services whose replicas are interchangeable, such as the
   * trainers behind the gateway.
   */
  public record Settings(List<String> targets, Optional<String> expectedFingerprint, Duration refreshInterval,
      Duration probeRetryInterval, Duration probeDeadline, Supplier<Optional<String>> serviceKey,
      boolean sameModel) {

    /** A model runtime pool: replicas are probed for their model fingerprint. */
    public Settings(List<String> targets, Optional<String> expectedFingerprint, Duration refreshInterval,
        Duration probeRetryInterval, Duration probeDeadline, Supplier<Optional<String>> serviceKey) {
      this(targets, expectedFingerprint, refreshInterval, probeRetryInterval, probeDeadline, serviceKey, true);
    }

    /** A pool of interchangeable replicas: every address the targets name is in rotation, nothing is probed. */
    public static Settings interchangeable(List<String> targets, Duration refreshInterval) {
      return new Settings(targets, Optional.empty(), refreshInterval, refreshInterval, Duration.ZERO,
          Optional::empty, false);
    }
  }

  /** Creates resolvers for any target of {@code scheme} (the scheme the channel's target was built with). */
  public static final class Provider extends NameResolverProvider {
    private final String scheme;
    private final Settings settings;

    public Provider(String scheme, Settings settings) {
      this.scheme = scheme;
      this.settings = settings;
    }

    @Override
    public NameResolver newNameResolver(URI target, Args args) {
      List<String> targets = settings.targets().isEmpty() ? List.of(hostPort(target)) : settings.targets();
      return new RuntimePoolResolver(targets, settings, args);
    }

    @Override
    public String getDefaultScheme() {
      return scheme;
    }

    @Override
    protected boolean isAvailable() {
      return true;
    }

    @Override
    protected int priority() {
      return 6;
    }

    @Override
    public java.util.Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
      return List.of(InetSocketAddress.class);
    }

    /** {@code dns:///host:port} has it in the path, {@code scheme://host:port} in the authority. */
    static String hostPort(URI target) {
      String a = target.getAuthority();
      if (a != null && !a.isEmpty()) {
        return a;
      }
      String p = target.getPath();
      return p != null && p.startsWith("/") ? p.substring(1) : String.valueOf(target.getSchemeSpecificPart());
    }
  }

  private final List<String> targets;
  private final Settings settings;
  private final Args args;
  private final ScheduledExecutorService executor;
  /**
   * address → the fingerprint it reported last, kept while the address is a target even when a later probe goes
   * unanswered: its vote for the pool's model stays, so one missed probe of a busy replica cannot hand the majority
   * to a replica of another model. Only an answer in the current round puts a replica in rotation.
   */
  private final Map<InetSocketAddress, String> fingerprints = new HashMap<>();
  /** What was logged last per address, so that a steady state is logged once. */
  private final Map<InetSocketAddress, String> logged = new HashMap<>();
  private Listener2 listener;
  private ScheduledFuture<?> next;
  private volatile boolean shutdown;

  RuntimePoolResolver(List<String> targets, Settings settings, Args args) {
    this.targets = List.copyOf(targets);
    this.settings = settings;
    this.args = args;
    ScheduledThreadPoolExecutor ex = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "runtime-pool-resolver");
      t.setDaemon(true);
      return t;
    });
    ex.setRemoveOnCancelPolicy(true);
    this.executor = ex;
  }

  @Override
  public String getServiceAuthority() {
    String first = targets.get(0);
    return first.contains(",") ? first.substring(0, first.indexOf(',')) : first;
  }

  @Override
  public void start(Listener2 listener) {
    this.listener = listener;
    executor.execute(this::resolve);
  }

  @Override
  public void refresh() {
    if (!shutdown) {
      executor.execute(this::resolve);
    }
  }

  @Override
  public void shutdown() {
    shutdown = true;
    executor.shutdownNow();
  }

  /** Every address the targets name now, in target order. */
  List<InetSocketAddress> addresses() {
    Set<InetSocketAddress> all = new LinkedHashSet<>();
    for (String t : targets) {
      int colon = t.lastIndexOf(':');
      int port;
      try {
        port = Integer.parseInt(t.substring(colon + 1).trim());
      } catch (RuntimeException e) {
        LOG.warnf("runtime pool target '%s' is not host:port; ignored", t);
        continue;
      }
      String host = t.substring(0, colon).replace("[", "").replace("]", "");
      try {
        for (InetAddress a : InetAddress.getAllByName(host.trim())) {
          all.add(new InetSocketAddress(a, port));
        }
      } catch (UnknownHostException e) {
        LOG.warnf("runtime pool target %s does not resolve (yet): %s", t, e.getMessage());
      }
    }
    return new ArrayList<>(all);
  }

  private void resolve() {
    if (shutdown) {
      return;
    }
    if (next != null) {
      next.cancel(false);
    }
    boolean complete = true;
    try {
      List<InetSocketAddress> addresses = addresses();
      List<InetSocketAddress> inRotation;
      if (!settings.sameModel() || (addresses.size() == 1 && settings.expectedFingerprint().isEmpty())) {
        inRotation = addresses; // nothing to compare with
      } else {
        fingerprints.keySet().retainAll(addresses);
        Set<InetSocketAddress> answered = new java.util.HashSet<>();
        for (InetSocketAddress a : addresses) {
          probe(a).ifPresent(f -> {
            fingerprints.put(a, f);
            answered.add(a);
          });
        }
        Optional<String> expected = settings.expectedFingerprint().or(() -> majority(addresses));
        inRotation = new ArrayList<>();
        for (InetSocketAddress a : addresses) {
          String f = answered.contains(a) ? fingerprints.get(a) : null;
          String state;
          if (f == null) {
            state = "not answering; out of rotation until it does";
            complete = false;
          } else if (expected.isPresent() && !expected.get().equals(f)) {
            // It answered: asking again every probe-retry-interval would not change its model, only load every
            // replica (each round probes them all); the regular refresh looks again.
            state = "serves model fingerprint " + f + " but the pool serves " + expected.get()
                + "; OUT OF ROTATION";
          } else {
            state = "in rotation (model fingerprint " + f + ")";
            inRotation.add(a);
          }
          if (!state.equals(logged.put(a, state))) {
            if (state.startsWith("in rotation")) {
              LOG.infof("runtime replica %s %s", a, state);
            } else {
              LOG.warnf("runtime replica %s %s", a, state);
            }
          }
        }
        logged.keySet().retainAll(addresses);
      }
      List<EquivalentAddressGroup> groups = inRotation.stream().map(EquivalentAddressGroup::new).toList();
      StatusOr<List<EquivalentAddressGroup>> result = groups.isEmpty()
          ? StatusOr.fromStatus(Status.UNAVAILABLE.withDescription("no model runtime replica in rotation among "
              + targets + " (resolved: " + addresses + "): none answers with the pool's model yet"))
          : StatusOr.fromValue(groups);
      args.getSynchronizationContext().execute(() -> {
        if (!shutdown) {
          listener.onResult2(ResolutionResult.newBuilder().setAddressesOrError(result).build());
        }
      });
    } catch (RuntimeException e) {
      LOG.warnf(e, "resolving the runtime pool %s failed", targets);
      complete = false;
    }
    if (!shutdown) {
      Duration wait = complete ? settings.refreshInterval() : settings.probeRetryInterval();
      next = executor.schedule(this::resolve, wait.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /**
   * The fingerprint most replicas report (their last answer, this round's or an earlier one); on a tie, the one the
   * earliest of them reports.
   */
  private Optional<String> majority(List<InetSocketAddress> order) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (InetSocketAddress a : order) {
      String f = fingerprints.get(a);
      if (f != null) {
        counts.merge(f, 1, Integer::sum);
      }
    }
    return counts.entrySet().stream().reduce((x, y) -> y.getValue() > x.getValue() ? y : x).map(Map.Entry::getKey);
  }

  /** GetModelInfo on one replica, with this process's service key; empty if it does not answer. */
  private Optional<String> probe(InetSocketAddress address) {
    ManagedChannel ch = Grpc.newChannelBuilderForAddress(address.getHostString(), address.getPort(),
        InsecureChannelCredentials.create()).build();
    try {
      Metadata headers = new Metadata();
      settings.serviceKey().get().ifPresent(k ->
          headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + k));
      ModelInfo info = ClientCalls.blockingUnaryCall(io.grpc.ClientInterceptors.intercept(ch,
          io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(headers)), ModelRuntimeGrpc.getGetModelInfoMethod(),
          CallOptions.DEFAULT.withDeadlineAfter(settings.probeDeadline().toMillis(), TimeUnit.MILLISECONDS),
          GetModelInfoRequest.getDefaultInstance());
      return Optional.of(info.getFingerprint());
    } catch (StatusRuntimeException e) {
      LOG.debugf("runtime replica %s: GetModelInfo failed: %s", address, e.getStatus());
      return Optional.empty();
    } finally {
      ch.shutdownNow();
    }
  }
}
