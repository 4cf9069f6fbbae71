package dev.trueno.gpu.transfer;

import jcuda.driver.CUdeviceptr;

/**
 * One column of a {@link Transfer} in device memory, valid until the transfer is closed.
 *
 * @param name the column's name
 * @param rowCount the morsel's rows
 * @param typeWidth bytes per value, or 0 for bit-packed booleans
 * @param validity the Arrow validity bitmap, row 0 at bit 0 of byte 0
 * @param values the values, row 0 first (bit-packed like the validity when {@code typeWidth} is 0)
 */
public record DeviceColumn(
    String name, int rowCount, int typeWidth, CUdeviceptr validity, CUdeviceptr values) {}
