package io.promptune.deploy.cli;

import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** promptune keys create | list: API keys of the local deployment. */
@Command(name = "keys", mixinStandardHelpOptions = true,
    description = "API keys of the local deployment (PROMPTUNE_HOME/keys/api-keys, read by every service).",
    subcommands = {KeysCommand.Create.class, KeysCommand.List.class})
public final class KeysCommand implements Runnable {

  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Create a key: prints it once, and adds only its sha256 to PROMPTUNE_HOME/keys/api-keys (every "
          + "running service picks it up within seconds; it works over REST and gRPC).",
      footer = {"", "Example:", "  export PROMPTUNE_API_KEY=$(promptune keys create --name ci --role trainer)"})
  static final class Create implements Callable<Integer> {
    @Option(names = "--name", defaultValue = "local-admin", description = "Who the key belongs to (audit logs show "
        + "it); default local-admin.")
    String name;

    @Option(names = "--role", defaultValue = "admin", description = "viewer, trainer, operator or admin (default "
        + "admin).")
    String role;

    @Option(names = "--save", description = "Also keep the key for this CLI (PROMPTUNE_HOME/keys/cli.key, mode "
        + "600), used when no --api-key / PROMPTUNE_API_KEY is given.")
    boolean save;

    @Override
    public Integer call() throws Exception {
      String r = role.toLowerCase(Locale.ROOT);
      if (!java.util.List.of("viewer", "trainer", "operator", "admin").contains(r)) {
        System.err.println("error: --role must be viewer, trainer, operator or admin");
        return ExitCodes.USAGE;
      }
      if (!name.matches("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")) {
        System.err.println("error: --name must be 1-64 of [A-Za-z0-9._@-]");
        return ExitCodes.USAGE;
      }
      LocalKeys keys = LocalKeys.fromEnvironment();
      String key = LocalKeys.newKey();
      keys.register(name, r, key);
      if (save) {
        keys.saveCliKey(key);
      }
      System.out.println(key);
      System.err.println("key '" + name + "' (" + r + ") added to " + keys.keyFile() + (save ? "; saved for the CLI "
          + "in " + keys.cliKeyFile() : "") + ". It is shown only now.");
      return ExitCodes.OK;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the names and roles of the local keys.")
  static final class List implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
      Table t = new Table("NAME", "ROLE");
      for (String e : LocalKeys.fromEnvironment().entries()) {
        String[] p = e.split(":");
        t.row(p[0], p.length > 1 ? p[1] : "?");
      }
      t.print();
      return ExitCodes.OK;
    }
  }
}
