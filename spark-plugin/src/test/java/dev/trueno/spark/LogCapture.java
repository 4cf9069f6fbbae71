package dev.trueno.spark;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/** Collects what one logger writes while a test runs. */
final class LogCapture extends AbstractAppender implements AutoCloseable {
  private final Logger logger;
  private final List<String> messages = new CopyOnWriteArrayList<>();
  private final org.apache.logging.log4j.Level previousLevel;

  LogCapture(Class<?> source) {
    this(source.getName());
  }

  /** Captures the logger of this name (for package-private classes of other packages). */
  LogCapture(String loggerName) {
    super("capture-" + loggerName, null, null, true, Property.EMPTY_ARRAY);
    // Trueno logs through SLF4J; only with Spark's SLF4J-to-Log4j binding can Log4j see it (a
    // launcher whose class path lost that binding cannot check logging at all).
    org.junit.jupiter.api.Assumptions.assumeTrue(
        org.slf4j.LoggerFactory.getILoggerFactory()
            .getClass()
            .getName()
            .startsWith("org.apache.logging.slf4j"),
        "SLF4J is not bound to Log4j here: "
            + org.slf4j.LoggerFactory.getILoggerFactory().getClass().getName());
    this.logger = (Logger) LogManager.getLogger(loggerName);
    // The launcher's Log4j configuration may filter WARN for our packages; capture everything.
    this.previousLevel = logger.getLevel();
    logger.setLevel(org.apache.logging.log4j.Level.ALL);
    start();
    logger.addAppender(this);
  }

  @Override
  public void append(LogEvent event) {
    messages.add(event.getLevel() + " " + event.getMessage().getFormattedMessage());
  }

  List<String> messages() {
    return List.copyOf(messages);
  }

  @Override
  public void close() {
    logger.removeAppender(this);
    logger.setLevel(previousLevel);
    stop();
  }
}
