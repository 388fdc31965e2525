package io.promptune.runtime.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Self time per operator from a PyTorch profiler chrome trace (complete events, "ph": "X"): an event's duration
 * minus the durations of the events nested in it on the same thread.
 */
final class TraceSummary {

  record Op(String name, double selfMs, int calls) {}

  private record Event(String name, long tid, double ts, double dur) {}

  private TraceSummary() {}

  static List<Op> selfTimes(Path trace) throws IOException {
    JsonNode root = new ObjectMapper().readTree(trace.toFile());
    JsonNode events = root.isArray() ? root : root.path("traceEvents");
    Map<Long, List<Event>> byThread = new HashMap<>();
    for (JsonNode e : events) {
      if ("X".equals(e.path("ph").asText()) && e.has("dur")) {
        byThread.computeIfAbsent(e.path("tid").asLong(), k -> new ArrayList<>())
            .add(new Event(e.path("name").asText(), e.path("tid").asLong(), e.path("ts").asDouble(),
                e.path("dur").asDouble()));
      }
    }
    Map<String, double[]> agg = new HashMap<>();
    for (List<Event> list : byThread.values()) {
      list.sort(Comparator.comparingDouble(Event::ts).thenComparing(Comparator.comparingDouble(Event::dur).reversed()));
      Deque<double[]> stack = new ArrayDeque<>(); // [end, selfAccumulator index]
      List<double[]> self = new ArrayList<>();
      for (Event e : list) {
        while (!stack.isEmpty() && stack.peek()[0] <= e.ts()) {
          stack.pop();
        }
        double[] mine = {e.dur()};
        self.add(mine);
        if (!stack.isEmpty()) {
          self.get((int) stack.peek()[1])[0] -= e.dur();
        }
        stack.push(new double[] {e.ts() + e.dur(), self.size() - 1});
      }
      for (int i = 0; i < list.size(); i++) {
        double[] a = agg.computeIfAbsent(list.get(i).name(), k -> new double[2]);
        a[0] += Math.max(0, self.get(i)[0]);
        a[1]++;
      }
    }
    List<Op> ops = new ArrayList<>();
    agg.forEach((name, a) -> ops.add(new Op(name, a[0] / 1000.0, (int) a[1])));
    ops.sort(Comparator.comparingDouble(Op::selfMs).reversed());
    return ops;
  }
}
