package dev.trueno.gpu.agg;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.UniqueElements;

class FirstRowOrderTest {
  @Property(tries = 200)
  void ordersIndexesByFirstRow(
      @ForAll @Size(max = 300) @UniqueElements
          List<@LongRange(min = 0, max = Long.MAX_VALUE) Long> rows) {
    check(rows);
  }

  @Property(tries = 50)
  void rowNumbersBelowOneDigitNeedOnePass(
      @ForAll @Size(max = 2000) @UniqueElements List<@LongRange(min = 0, max = 65_535) Long> rows) {
    check(rows);
  }

  private static void check(List<Long> rows) {
    long[] firstRows = rows.stream().mapToLong(Long::longValue).toArray();
    int[] expected =
        IntStream.range(0, firstRows.length)
            .boxed()
            .sorted(Comparator.comparingLong(i -> firstRows[i]))
            .mapToInt(Integer::intValue)
            .toArray();
    assertThat(FirstRowOrder.sort(firstRows)).containsExactly(expected);
  }
}
