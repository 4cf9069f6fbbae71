package dev.trueno.spark.calibration;

import dev.trueno.core.cost.HardwareProfile;

/** Placeholder until the calibration lands: no profile yet. */
public final class Calibration {
  private Calibration() {}

  /** The executor's profile, or null while calibration is pending or failed. */
  public static HardwareProfile current(String cacheDir) {
    return null;
  }

  /** Why {@link #current} returned null. */
  public static String pendingOrFailedReason() {
    return "calibration pending";
  }
}
