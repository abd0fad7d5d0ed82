package io.jlora.fuzz;

import ai.djl.ndarray.NDManager;
import io.jlora.io.SafetensorsFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * The safetensors reader ({@link SafetensorsFile#open} and loading every tensor into DJL) on
 * damaged copies of the golden adapter's weights and on headers built to lie: length fields,
 * offsets past the file or overlapping, shapes whose product overflows, every dtype name (BF16 and
 * the ones DJL aborts on included), truncated data, broken UTF-8 and deep nesting.
 */
class SafetensorsFuzzTest {

    static final FuzzStats STATS = new FuzzStats("safetensors");
    private static final byte[] SEED = Seeds.bytes(Seeds.adapter().resolve("adapter_model.safetensors"));

    @Property
    void damagedSeedLoadsOrIsRefused(@ForAll long seed) {
        Random r = new Random(seed);
        byte[] file = r.nextBoolean() ? ByteMutator.mutate(SEED, r) : mutateHeader(SEED, r);
        check(file, "seed " + seed);
    }

    @Property
    void hostileHeaderLoadsOrIsRefused(@ForAll("dtypes") String dtype, @ForAll("shapes") List<Long> shape,
            @ForAll("offsets") long begin, @ForAll("offsets") long end, @ForAll("dataSizes") int dataBytes,
            @ForAll("lengthFields") long lengthDelta, @ForAll boolean second) {
        String entry = "{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}";
        String header = "{\"w\":" + entry + (second ? ",\"v\":" + entry.replace("[" + begin, "[0") : "")
                + ",\"__metadata__\":{\"format\":\"pt\"}}";
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        byte[] data = new byte[dataBytes];
        new Random(begin ^ end).nextBytes(data);
        check(layout(json.length + lengthDelta, json, data), dtype + " " + shape + " [" + begin + "," + end + "] "
                + dataBytes + " bytes, length " + lengthDelta + (second ? " +second" : ""));
    }

    @Property
    void consistentHeaderOfEveryDtypeLoadsOrIsRefused(@ForAll("dtypes") String dtype,
            @ForAll("smallShapes") List<Long> shape, @ForAll("cuts") int cut, @ForAll long fill) {
        // offsets that agree with the shape, so that every dtype, BF16 and the unloadable ones
        // included, gets as far as loading into DJL; cut > 0 removes bytes from the end
        io.jlora.io.SafetensorsDtype d = io.jlora.io.SafetensorsDtype.parse(dtype);
        long elements = shape.stream().reduce(1L, (a, b) -> a * b);
        long bytes = elements * (d == null ? 2 : d.bytes());
        String header = "{\"t\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[0," + bytes + "]}}";
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        byte[] data = new byte[(int) Math.max(0, bytes - cut)];
        new Random(fill).nextBytes(data); // NaN, infinity and subnormal patterns included
        check(layout(json.length, json, data), dtype + " " + shape + " cut " + cut);
    }

    private static void check(byte[] content, String input) {
        Path dir = Scratch.newFolder();
        Path file = dir.resolve("model.safetensors");
        Scratch.write(file, content);
        Verdict v = Guard.run(dir, () -> {
            try (SafetensorsFile f = SafetensorsFile.open(file); NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu())) {
                for (String key : f.keys()) {
                    if (f.info(key).dtype().loadedAs() != null) {
                        f.load(key, m).close();
                    } else {
                        expectRefusal(() -> f.load(key, m));
                    }
                }
            }
            return null;
        });
        STATS.record(v, input);
        Scratch.delete(dir);
    }

    /** Unloadable dtypes must be refused by us, never reach DJL. */
    private static void expectRefusal(Runnable load) {
        try {
            load.run();
        } catch (io.jlora.JloraException expected) {
            return;
        }
        throw new AssertionError("a tensor of an unloadable dtype loaded");
    }

    /** The seed with its header JSON damaged structurally and the length field kept consistent. */
    private static byte[] mutateHeader(byte[] seed, Random r) {
        ByteBuffer b = ByteBuffer.wrap(seed).order(ByteOrder.LITTLE_ENDIAN);
        int len = (int) b.getLong(0);
        String header = new String(seed, 8, len, StandardCharsets.UTF_8);
        byte[] json = JsonMutator.mutate(header, List.of("dtype", "shape", "data_offsets", "__metadata__", "x"), r);
        byte[] data = java.util.Arrays.copyOfRange(seed, 8 + len, seed.length);
        return layout(json.length, json, data);
    }

    static byte[] layout(long lengthField, byte[] json, byte[] data) {
        ByteBuffer out = ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(lengthField).put(json).put(data);
        return out.array();
    }

    @Provide
    Arbitrary<String> dtypes() {
        return Arbitraries.oneOf(
                Arbitraries.of("F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "U16", "U32", "U64", "BOOL",
                        "F8_E4M3", "F8_E5M2", "F4", "C64", "f32", "", "F32\\u0000"),
                Arbitraries.strings().ofMaxLength(6));
    }

    @Provide
    Arbitrary<List<Long>> shapes() {
        Arbitrary<Long> dim = Arbitraries.oneOf(Arbitraries.longs().between(0, 8),
                Arbitraries.of(-1L, 1L << 31, 1L << 32, 1L << 40, 1L << 62, Long.MAX_VALUE));
        return dim.list().ofMaxSize(9);
    }

    @Provide
    Arbitrary<List<Long>> smallShapes() {
        return Arbitraries.longs().between(0, 5).list().ofMaxSize(4);
    }

    @Provide
    Arbitrary<Integer> cuts() {
        return Arbitraries.oneOf(Arbitraries.just(0), Arbitraries.just(0), Arbitraries.integers().between(1, 8));
    }

    @Provide
    Arbitrary<Long> offsets() {
        return Arbitraries.oneOf(Arbitraries.longs().between(0, 300),
                Arbitraries.of(-1L, -8L, Integer.MAX_VALUE + 1L, 1L << 40, Long.MAX_VALUE - 4, Long.MAX_VALUE));
    }

    @Provide
    Arbitrary<Integer> dataSizes() {
        return Arbitraries.integers().between(0, 256);
    }

    @Provide
    Arbitrary<Long> lengthFields() {
        return Arbitraries.oneOf(Arbitraries.just(0L), Arbitraries.just(0L), Arbitraries.longs().between(-9, 9),
                Arbitraries.of(Long.MIN_VALUE, Long.MAX_VALUE, 1L << 40, 100_000_000L));
    }

    @AfterContainer
    static void report() {
        STATS.publish();
    }
}
