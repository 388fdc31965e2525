package io.promptune.deploy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The {@code promptune} command: runs the deployment on this machine. */
@Command(name = "promptune", mixinStandardHelpOptions = true, version = "promptune 0.1.0",
    description = "Soft-prompt tuning on a frozen T5: run the services and talk to them.",
    subcommands = {PromptuneCli.Up.class, PromptuneCli.Down.class, PromptuneCli.Status.class,
        PromptuneCli.Logs.class, io.promptune.deploy.cli.DemoCommand.class, io.promptune.deploy.cli.DatasetsCommand.class,
        io.promptune.deploy.cli.TrainCommand.class, io.promptune.deploy.cli.JobsCommand.class,
        io.promptune.deploy.cli.PromptsCommand.class, io.promptune.deploy.cli.PromoteCommand.class,
        io.promptune.deploy.cli.RollbackCommand.class, io.promptune.deploy.cli.GenerateCommand.class,
        io.promptune.deploy.cli.ScoreCommand.class, io.promptune.deploy.cli.KeysCommand.class,
        io.promptune.deploy.cli.EnsemblesCommand.class, io.promptune.deploy.cli.GatesCommand.class,
        io.promptune.deploy.cli.EvaluateCommand.class})
public final class PromptuneCli implements Callable<Integer> {

  @Override
  public Integer call() {
    CommandLine.usage(this, System.out);
    return 0;
  }

  /** Held so the level sticks: JUL keeps loggers only weakly. */
  private static final java.util.logging.Logger GRPC_LOGGER = java.util.logging.Logger.getLogger("io.grpc");

  public static void main(String[] args) {
    GRPC_LOGGER.setLevel(java.util.logging.Level.WARNING);
    System.exit(new CommandLine(new PromptuneCli()).execute(args));
  }

  static void printStatus(List<Launcher.ProcessStatus> statuses) {
    System.out.printf("%-10s %-8s %-17s %s%n", "SERVICE", "PID", "HEALTH", "ENDPOINTS");
    for (Launcher.ProcessStatus s : statuses) {
      System.out.printf("%-10s %-8s %-17s %s%n", s.name(), s.pid() < 0 ? "-" : Long.toString(s.pid()), s.health(),
          s.endpoint());
    }
  }

  @Command(name = "up", description = "Start PostgreSQL (embedded unless PROMPTUNE_DB_URL is set) and the four "
      + "services, wait until all are healthy, print their endpoints.")
  static final class Up implements Callable<Integer> {
    @Option(names = "--timeout", defaultValue = "300", description = "Seconds to wait for health (default 300).")
    int timeoutSeconds;

    @Option(names = "--runtimes", description = "Model runtime replicas (default: as the running deployment, else 1)."
        + " Ports 9101, 9111, 9121, ...; trainers and gateway balance over all of them.")
    Integer runtimes;

    @Option(names = "--trainers", description = "Trainer processes sharing the job queue (default: as the running "
        + "deployment, else 1). Ports 9103, 9113, ...")
    Integer trainers;

    @Override
    public Integer call() {
      Launcher launcher = Launcher.fromEnvironment(System.out);
      try {
        List<Launcher.ProcessStatus> st = launcher.up(Duration.ofSeconds(timeoutSeconds), runtimes, trainers);
        System.out.println("Promptune is up (state in " + launcher.home() + ").");
        printStatus(st);
        return 0;
      } catch (Exception e) {
        System.err.println("promptune up failed: " + e.getMessage());
        return 1;
      }
    }
  }

  @Command(name = "down", description = "Stop exactly the processes 'up' started.")
  static final class Down implements Callable<Integer> {
    @Override
    public Integer call() {
      List<String> stopped = Launcher.fromEnvironment(System.out).down();
      System.out.println(stopped.isEmpty() ? "nothing was running" : "stopped " + String.join(", ", stopped));
      return 0;
    }
  }

  @Command(name = "status", description = "Show each process, its health and endpoints. Exit 0 when all serve.")
  static final class Status implements Callable<Integer> {
    @Override
    public Integer call() {
      List<Launcher.ProcessStatus> st = Launcher.fromEnvironment(System.out).status();
      printStatus(st);
      boolean all = st.stream().allMatch(Launcher.ProcessStatus::serving);
      return all ? 0 : 3;
    }
  }

  @Command(name = "logs", description = "Print the last lines of a service's log.")
  static final class Logs implements Callable<Integer> {
    @Parameters(arity = "0..1", description = "postgres, registry, runtime, trainer, gateway or an instance such as "
        + "runtime-2 (default: all)")
    String service;

    @Option(names = {"-n", "--lines"}, defaultValue = "50")
    int lines;

    @Override
    public Integer call() {
      Launcher launcher = Launcher.fromEnvironment(System.out);
      List<String> names = service != null ? List.of(service)
          : java.util.stream.Stream.concat(java.util.stream.Stream.of(Launcher.POSTGRES),
              launcher.services().stream().map(ServiceSpec::name)).toList();
      for (String n : names) {
        System.out.println("==> " + launcher.supervisor().logFile(n) + " <==");
        launcher.supervisor().tail(n, lines).forEach(System.out::println);
      }
      return 0;
    }
  }
}
