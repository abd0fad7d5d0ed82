package io.jlora.gpu.train;

import io.jlora.gpu.GpuRuntime;
import io.jlora.gpu.GpuUnavailableException;
import io.jlora.gpu.ModelShape;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The device checks of issue 20 (bench/gpu/run.sh runs them on the GPU machine). Each prints
 * PASS/FAIL lines and one JSON object as its last line; exit 1 when a check fails, 3 without a GPU.
 * <pre>
 *   host-golden DIR          the golden case on the host backend (no GPU; checks the classpath)
 *   ops                      every Ops operation, CudaOps against HostOps, fresh random inputs
 *   golden DIR               the llama-tiny golden case on the GPU (checkpointing off and on), bf16 tolerances
 *   finetune DIR STEPS       AdamW steps on the golden batch: the loss must fall
 *   speed on|off STEPS       Llama-3.2-1B shape, random weights, batch 8 x 1024: tokens/s and peak memory
 * </pre>
 */
public final class DeviceChecks {

    private DeviceChecks() {
    }

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        if (args.length == 0) {
            System.err.println("usage: DeviceChecks ops | golden DIR | finetune DIR STEPS | speed on|off STEPS");
            System.exit(64);
        }
        if (args[0].equals("host-golden")) { // the golden case on the host backend: checks the carried classpath
            try (HostOps host = new HostOps()) {
                System.out.println("host backend: " + GoldenCase.run(host, Path.of(args[1]), true));
            }
            return;
        }
        GpuRuntime gpu;
        try {
            gpu = GpuRuntime.open(0);
        } catch (GpuUnavailableException e) {
            System.out.println("gpu unavailable: " + e.getMessage());
            System.exit(3);
            return;
        }
        boolean ok;
        try (CudaOps ops = new CudaOps(gpu)) {
            ok = switch (args[0]) {
                case "ops" -> ops(ops);
                case "golden" -> golden(ops, Path.of(args[1]));
                case "finetune" -> finetune(ops, Path.of(args[1]), Integer.parseInt(args[2]));
                case "speed" -> speed(ops, args[1].equals("on"), Integer.parseInt(args[2]),
                        args.length > 3 ? Integer.parseInt(args[3]) : 8, args.length > 4 ? Integer.parseInt(args[4]) : 1024);
                default -> throw new IllegalArgumentException("unknown check " + args[0]);
            };
        }
        System.exit(ok ? 0 : 1);
    }

    static boolean ops(CudaOps ops) {
        int failed = 0;
        try (HostOps host = new HostOps()) {
            for (OpsCheck.Line l : new OpsCheck(ops, host, System.nanoTime()).run()) {
                System.out.println(l);
                failed += l.passed() ? 0 : 1;
            }
        }
        System.out.printf("{\"check\":\"ops\",\"failed\":%d}%n", failed);
        return failed == 0;
    }

    static boolean golden(CudaOps ops, Path dir) {
        boolean ok = true;
        for (boolean ckpt : new boolean[] {false, true}) {
            GoldenCase.Result r = GoldenCase.run(ops, dir, ckpt);
            // bf16 activations and weights: logits within 3e-2 absolute (they span about +-1 here), loss
            // within 1e-2, each LoRA gradient within 5e-2 of its largest golden entry
            boolean pass = r.logitsError() < 3e-2 && Math.abs(r.loss() - r.goldenLoss()) < 1e-2 && r.gradError() < 5e-2;
            ok &= pass;
            System.out.printf("%s golden llama-tiny, checkpointing %s: %s%n", pass ? "PASS" : "FAIL", ckpt ? "on" : "off",
                    r);
            System.out.printf("{\"check\":\"golden\",\"checkpointing\":\"%s\",\"loss\":%.6f,\"golden_loss\":%.6f,"
                    + "\"logits_max_abs_err\":%.3e,\"grad_max_rel_err\":%.3e,\"worst\":\"%s\",\"pass\":%b}%n",
                    ckpt ? "on" : "off", r.loss(), r.goldenLoss(), r.logitsError(), r.gradError(), r.worstGrad(), pass);
        }
        return ok;
    }

    static boolean finetune(CudaOps ops, Path dir, int steps) {
        float[] losses = FineTuneCase.run(ops, dir, steps);
        boolean pass = losses[losses.length - 1] < 0.85f * losses[0]; // the host backend: 5.75 -> 4.61 in 20 steps
        System.out.printf("%s fine-tune on the golden batch: loss %.4f -> %.4f in %d steps%n", pass ? "PASS" : "FAIL",
                losses[0], losses[losses.length - 1], steps);
        System.out.printf("{\"check\":\"finetune\",\"first_loss\":%.6f,\"last_loss\":%.6f,\"steps\":%d,\"pass\":%b}%n",
                losses[0], losses[losses.length - 1], steps, pass);
        return pass;
    }

    static boolean speed(CudaOps ops, boolean checkpointing, int steps, int batch, int seq) {
        DecoderSpec spec = DecoderSpec.llama32OneB();
        ModelShape s = spec.shape();
        long before = ops.deviceMemory()[0];
        try (BaseWeights w = BaseWeights.random(ops, spec, 1);
                LoraParams lora = new LoraParams(ops, s, 16, 1f);
                LoraStep step = new LoraStep(ops, spec, w, lora, batch, seq, checkpointing, 1024)) {
            lora.initDefault(7);
            int[] ids = new int[batch * seq];
            SplittableRandom r = new SplittableRandom(3);
            for (int i = 0; i < ids.length; i++) {
                ids[i] = r.nextInt(s.vocab());
            }
            float loss = 0;
            for (int i = 0; i < 3; i++) {
                loss = trainStep(step, ids);
            }
            ops.synchronize();
            long t0 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                loss = trainStep(step, ids);
            }
            ops.synchronize();
            double dt = (System.nanoTime() - t0) / 1e9;
            long usedByProcess = before - ops.deviceMemory()[0];
            LoraStep.PhaseTimes phases = new LoraStep.PhaseTimes();
            step.timePhases(phases);
            for (int i = 0; i < 3; i++) {
                trainStep(step, ids);
            }
            step.timePhases(null);
            StringBuilder ph = new StringBuilder();
            phases.seconds().forEach((k, v) -> ph.append(ph.isEmpty() ? "" : ",")
                    .append(String.format("\"%s\":%.2f", k, 1000 * v / 3)));
            double tps = (double) batch * seq * steps / dt;
            System.out.printf("{\"side\":\"jlora-gpu\",\"checkpointing\":\"%s\",\"batch\":%d,\"seq\":%d,\"steps\":%d,"
                    + "\"trainable\":%d,\"tokens_per_s\":%.1f,\"step_ms\":%.2f,\"peak_gib\":%.3f,"
                    + "\"device_used_gib\":%.3f,\"device\":\"%s\",\"last_loss\":%.5f,\"phase_ms\":{%s}}%n",
                    checkpointing ? "on" : "off", batch, seq, steps, lora.layout().parameters(), tps, 1000 * dt / steps,
                    ops.peakBytes() / (double) (1L << 30), usedByProcess / (double) (1L << 30),
                    ops.gpu().describe(), loss, ph);
            return Float.isFinite(loss);
        }
    }

    /** One optimizer step as the peer takes it: AdamW lr 1e-4, weight decay 0.01, clipping at 1.0. */
    static float trainStep(LoraStep step, int[] ids) {
        float loss = step.forwardBackward(ids);
        step.optimizerStep(1e-4f, 0.9f, 0.999f, 1e-8f, 0.01f, 1f);
        return loss;
    }
}
