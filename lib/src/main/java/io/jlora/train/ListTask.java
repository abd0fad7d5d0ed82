package io.jlora.train;

import java.util.List;

/** A task whose train and eval examples are two lists of one example type (SFT examples, preference pairs). */
abstract class ListTask<E> extends Task {

    private final List<E> train;
    private final List<E> eval;

    ListTask(List<E> train, List<E> eval) {
        this.train = List.copyOf(train);
        this.eval = List.copyOf(eval);
    }

    @Override
    final int trainSize() {
        return train.size();
    }

    @Override
    final int evalSize() {
        return eval.size();
    }

    /** The eval examples when {@code fromEval}, else the train ones. */
    final List<E> examples(boolean fromEval) {
        return fromEval ? eval : train;
    }
}
