package dev.trueno.gpu.expr;

import static dev.trueno.gpu.expr.ExprOps.*;

import dev.trueno.core.error.ErrorCode;
import dev.trueno.core.error.TruenoException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The programs of several outputs joined into one, so that one launch evaluates them all: each
 * output's code in order, relocated (jump targets, literal and error-site indexes), followed by its
 * OUT, and a final HALT. Each output reuses registers from 0: they are dead after its OUT.
 *
 * @param code the instructions, {@link ExprOps#INSN} ints each
 * @param pool the literal pool
 * @param sites the error sites, indexed by the instructions' site field
 * @param outputKinds the kernel kind of each output ({@link ExprOps#K_SELECT} for a selection)
 */
record Program(int[] code, long[] pool, List<ErrorSite> sites, int[] outputKinds) {

  static Program assemble(List<DeviceExpr> exprs, boolean[] selection) {
    if (exprs.size() > MAX_OUTPUTS) {
      throw new TruenoException(
          ErrorCode.UNSUPPORTED,
          "One GPU evaluation takes at most " + MAX_OUTPUTS + " outputs, not " + exprs.size());
    }
    int[] code = new int[0];
    long[] pool = new long[0];
    List<ErrorSite> sites = new ArrayList<>();
    int[] kinds = new int[exprs.size()];
    for (int o = 0; o < exprs.size(); o++) {
      ExprCompiler.Compiled c = exprs.get(o).compiled();
      int base = code.length / INSN;
      int poolBase = pool.length;
      int siteBase = sites.size();
      int[] moved = c.code().clone();
      for (int i = 0; i < moved.length; i += INSN) {
        int op = moved[i];
        if (isJump(op)) {
          moved[i + 4] += base;
        } else if (op == CONST) {
          moved[i + 2] += poolBase;
        } else if (op == IN) {
          moved[i + 4] += poolBase;
        }
        if (moved[i + 9] >= 0) {
          moved[i + 9] += siteBase;
        }
      }
      kinds[o] = selection[o] ? K_SELECT : kind(exprs.get(o).type());
      int[] out = {OUT, 0, c.result(), 0, o, kinds[o], 0, 0, 0, -1};
      code = concat(code, moved, out);
      pool = concat(pool, c.pool());
      sites.addAll(c.sites());
    }
    code = concat(code, new int[] {HALT, 0, 0, 0, 0, 0, 0, 0, 0, -1});
    return new Program(code, pool, List.copyOf(sites), kinds);
  }

  private static int[] concat(int[]... parts) {
    int[] all = new int[Arrays.stream(parts).mapToInt(p -> p.length).sum()];
    int at = 0;
    for (int[] p : parts) {
      System.arraycopy(p, 0, all, at, p.length);
      at += p.length;
    }
    return all;
  }

  private static long[] concat(long[] a, long[] b) {
    long[] all = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
