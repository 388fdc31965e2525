package io.promptune.deploy;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The wait at the end of {@code up}: until every service has answered SERVING. A service counts as ready from its
 * first SERVING answer on and is not asked again; each is still checked to be alive every round (a process that
 * exits or logs a failed start fails the wait at once). Every change of a service's answer is printed with the
 * seconds since the wait began, and a timeout names the services not yet ready with their last answers.
 *
 * <p>Why not "all SERVING in one round": on a loaded machine (several JVMs starting and loading models on two
 * cores), any single probe may miss its deadline although the service is SERVING; requiring seven or eight answers
 * in a row to all make it starved {@code up} until its timeout while each service, asked alone, was SERVING.
 */
final class ServingWait {

  private final List<ServiceSpec> services;
  private final Function<ServiceSpec, String> probe;
  private final Consumer<ServiceSpec> aliveCheck;
  private final PrintStream out;
  private final Duration pollInterval;

  /**
   * @param probe      the service's health: SERVING, NOT_SERVING, UNREACHABLE, DEADLINE_EXCEEDED, ...
   * @param aliveCheck throws (with the reason) when the service's process exited or failed to start
   */
  ServingWait(List<ServiceSpec> services, Function<ServiceSpec, String> probe, Consumer<ServiceSpec> aliveCheck,
      PrintStream out, Duration pollInterval) {
    this.services = List.copyOf(services);
    this.probe = probe;
    this.aliveCheck = aliveCheck;
    this.out = out;
    this.pollInterval = pollInterval;
  }

  /** What {@link #await} throws when time ran out. */
  static final class Timeout extends IllegalStateException {
    Timeout(String message) {
      super(message);
    }
  }

  /** Returns once every service answered SERVING; throws {@link Timeout} after {@code timeout}. */
  void await(Duration timeout) throws InterruptedException {
    Instant start = Instant.now();
    Instant deadline = start.plus(timeout);
    Map<String, String> last = new LinkedHashMap<>();
    Set<String> ready = new LinkedHashSet<>();
    while (true) {
      for (ServiceSpec s : services) {
        aliveCheck.accept(s);
        if (ready.contains(s.name())) {
          continue;
        }
        String health = probe.apply(s);
        if (!health.equals(last.put(s.name(), health))) {
          out.printf("  %s: %s (%d s)%n", s.name(), health, Duration.between(start, Instant.now()).toSeconds());
        }
        if ("SERVING".equals(health)) {
          ready.add(s.name());
        }
      }
      if (ready.size() == services.size()) {
        return;
      }
      if (Instant.now().isAfter(deadline)) {
        StringBuilder sb = new StringBuilder("services not healthy after " + timeout.toSeconds() + " s:");
        for (ServiceSpec s : services) {
          if (!ready.contains(s.name())) {
            sb.append("\n  ").append(s.name()).append(": ").append(last.get(s.name()));
          }
        }
        sb.append("\n  (SERVING: ").append(ready.isEmpty() ? "none" : String.join(", ", ready)).append(")");
        throw new Timeout(sb.toString());
      }
      Thread.sleep(pollInterval.toMillis());
    }
  }
}
