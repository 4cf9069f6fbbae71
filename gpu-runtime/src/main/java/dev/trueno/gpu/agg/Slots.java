package dev.trueno.gpu.agg;

/** The scratch buffer numbers of {@link DeviceKernels#scratch}, one per purpose. */
final class Slots {
  static final int ACC_INIT = 0;
  static final int REFUSED = 1;
  static final int COMPACT = 2;
  static final int COLUMNS = 3;
  static final int META = 4;
  static final int KEY_COLUMNS = 5;
  static final int UPDATES = 6;
  static final int FOLDS = 7;
  static final int GID = 8;
  static final int SORT = 9;
  static final int ERROR_ROW = 10;
  static final int BOUND = 11;

  private Slots() {}
}
