package dev.trueno.spark.scan.decode;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoField;
import java.util.Calendar;
import java.util.GregorianCalendar;
import java.util.Map;
import java.util.TimeZone;

/**
 * Spark's reading of dates and timestamps that a legacy writer (Spark 2.x, or Spark 3 in LEGACY
 * mode) stored in the hybrid Julian + Gregorian calendar: the same local date-time is looked up in
 * the proleptic Gregorian calendar. Values at or after the last calendar difference (dates from
 * 1582-10-15, timestamps from 1900-01-01T00:00:00Z, where time-zone rules of the two calendar APIs
 * agree) are returned unchanged without work, as Spark does.
 */
final class DateTimeRebase {
  /** 1582-10-15, the first proleptic Gregorian day on which both calendars agree. */
  static final int LAST_SWITCH_JULIAN_DAY = -141427;

  /** 1900-01-01T00:00:00Z: after it Spark's rebase tables have no difference in any zone. */
  static final long LAST_SWITCH_JULIAN_MICROS = -2208988800L * 1_000_000L;

  static final String DATETIME_CONF = "spark.sql.parquet.datetimeRebaseModeInRead";
  static final String INT96_CONF = "spark.sql.parquet.int96RebaseModeInRead";

  private static final String VERSION_KEY = "org.apache.spark.version";
  private static final String LEGACY_DATETIME_KEY = "org.apache.spark.legacyDateTime";
  private static final String LEGACY_INT96_KEY = "org.apache.spark.legacyINT96";
  private static final String TIME_ZONE_KEY = "org.apache.spark.timeZone";

  /** The mode a file is read with and the zone a LEGACY rebase works in. */
  record Spec(RebaseMode mode, ZoneId zone) {}

  private DateTimeRebase() {}

  /**
   * Spark's choice for dates and INT64 timestamps: a file written by Spark says which calendar it
   * used (before 3.0.0 always the hybrid one; later ones mark LEGACY writes); only files without a
   * Spark version follow the configured mode.
   */
  static Spec datetimeSpec(Map<String, String> fileMeta, RebaseMode configured) {
    return spec(fileMeta, configured, "3.0.0", LEGACY_DATETIME_KEY);
  }

  /** As {@link #datetimeSpec} for INT96 timestamps, which Spark rebased until 3.1.0. */
  static Spec int96Spec(Map<String, String> fileMeta, RebaseMode configured) {
    return spec(fileMeta, configured, "3.1.0", LEGACY_INT96_KEY);
  }

  private static Spec spec(
      Map<String, String> meta, RebaseMode configured, String minVersion, String legacyKey) {
    String version = meta.get(VERSION_KEY);
    RebaseMode mode;
    if (version == null) {
      mode = configured;
    } else if (version.compareTo(minVersion) < 0 || meta.get(legacyKey) != null) {
      // Spark compares version strings, not numbers; so do we, to choose as it does.
      mode = RebaseMode.LEGACY;
    } else {
      mode = RebaseMode.CORRECTED;
    }
    ZoneId zone = TimeZone.getDefault().toZoneId();
    String written = meta.get(TIME_ZONE_KEY);
    if (mode == RebaseMode.LEGACY && written != null) {
      zone = TimeZone.getTimeZone(written).toZoneId();
    }
    return new Spec(mode, zone);
  }

  /** Rebases values in place; one instance per column keeps its calendars. */
  static final class Rebaser {
    private final ZoneId zone;
    private final GregorianCalendar utcCalendar =
        new GregorianCalendar(TimeZone.getTimeZone(ZoneOffset.UTC));
    private final GregorianCalendar zoneCalendar;

    Rebaser(ZoneId zone) {
      this.zone = zone;
      this.zoneCalendar = new GregorianCalendar(TimeZone.getTimeZone(zone));
    }

    int julianToGregorianDays(int days) {
      if (days >= LAST_SWITCH_JULIAN_DAY) {
        return days;
      }
      GregorianCalendar cal = utcCalendar;
      cal.setTimeInMillis(days * 86_400_000L);
      // Start at day 1 and add the days: the hybrid calendar has leap days (e.g. 1000-02-29)
      // that the proleptic Gregorian one has not.
      LocalDate date =
          LocalDate.of(cal.get(Calendar.YEAR), cal.get(Calendar.MONTH) + 1, 1)
              .with(ChronoField.ERA, cal.get(Calendar.ERA))
              .plusDays(cal.get(Calendar.DAY_OF_MONTH) - 1L);
      return Math.toIntExact(date.toEpochDay());
    }

    long julianToGregorianMicros(long micros) {
      if (micros >= LAST_SWITCH_JULIAN_MICROS) {
        return micros;
      }
      GregorianCalendar cal = zoneCalendar;
      cal.setTimeInMillis(Math.floorDiv(micros, 1000L));
      LocalDateTime local =
          LocalDateTime.of(
                  cal.get(Calendar.YEAR),
                  cal.get(Calendar.MONTH) + 1,
                  1,
                  cal.get(Calendar.HOUR_OF_DAY),
                  cal.get(Calendar.MINUTE),
                  cal.get(Calendar.SECOND),
                  (int) (Math.floorMod(micros, 1_000_000L) * 1000L))
              .with(ChronoField.ERA, cal.get(Calendar.ERA))
              .plusDays(cal.get(Calendar.DAY_OF_MONTH) - 1L);
      ZonedDateTime zoned = local.atZone(zone);
      // A local time in a DST overlap exists twice; keep the side the hybrid calendar was on.
      zoned =
          cal.get(Calendar.DST_OFFSET) == 0
              ? zoned.withLaterOffsetAtOverlap()
              : zoned.withEarlierOffsetAtOverlap();
      Instant instant = zoned.toInstant();
      return Math.addExact(
          Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1000);
    }
  }
}
