package io.promptune.deploy.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;

/**
 * Base of the commands that talk to the gateway: runs {@link #run(GatewayClient)} and turns a gateway error into
 * its message on stderr and an exit code ({@link ExitCodes}).
 */
public abstract class GatewayCommand implements Callable<Integer> {

  @Mixin
  protected GatewayOptions options;

  protected abstract int run(GatewayClient client) throws Exception;

  @Override
  public final Integer call() {
    try {
      return run(options.client());
    } catch (GatewayException e) {
      System.err.println("error: " + e.getMessage() + (e.code() == null || e.status() == 0 ? ""
          : " [" + e.code() + "]"));
      return e.exitCode();
    } catch (java.nio.file.NoSuchFileException e) {
      System.err.println("error: no such file: " + e.getFile());
      return ExitCodes.USAGE;
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      return ExitCodes.USAGE;
    } catch (Exception e) {
      System.err.println("error: " + e);
      return ExitCodes.ERROR;
    }
  }

  protected boolean json() {
    return options.json();
  }
}
