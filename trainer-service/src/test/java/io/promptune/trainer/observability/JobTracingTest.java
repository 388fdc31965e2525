package io.promptune.trainer.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.UUID;
import org.jboss.logging.MDC;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The job id in the MDC while a job's or step's scope is open, or a line about the job is logged elsewhere. */
class JobTracingTest {

  static final UUID JOB = UUID.fromString("00000000-0000-0000-0000-00000000000a");

  @AfterEach
  void clear() {
    MDC.remove(JobTracing.MDC_JOB_ID);
  }

  @Test
  void jobAndStepScopesCarryTheJobIdAndRestoreWhatWasThere() {
    assertNull(MDC.get(JobTracing.MDC_JOB_ID));
    try (JobTracing.Handle job = JobTracing.job(JOB, 1)) {
      assertEquals(JOB.toString(), MDC.get(JobTracing.MDC_JOB_ID));
      try (JobTracing.Handle step = JobTracing.step(JOB, job.spanContext(), 1)) {
        assertEquals(JOB.toString(), MDC.get(JobTracing.MDC_JOB_ID));
      }
      assertEquals(JOB.toString(), MDC.get(JobTracing.MDC_JOB_ID));
    }
    assertNull(MDC.get(JobTracing.MDC_JOB_ID));
  }

  @Test
  void withJobIdSetsItForTheRunnableOnly() {
    MDC.put(JobTracing.MDC_JOB_ID, "other");
    String[] seen = new String[1];
    JobTracing.withJobId(JOB, () -> seen[0] = String.valueOf(MDC.get(JobTracing.MDC_JOB_ID)));
    assertEquals(JOB.toString(), seen[0]);
    assertEquals("other", MDC.get(JobTracing.MDC_JOB_ID));
  }
}
