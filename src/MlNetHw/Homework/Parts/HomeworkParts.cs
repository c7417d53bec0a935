namespace MlNetHw.Homework.Parts;

/// <summary>The six parts of the homework, in order, as the main job runs them.</summary>
public static class HomeworkParts
{
    public static IReadOnlyList<IHomeworkPart> All() => new IHomeworkPart[]
    {
        new TransferLearningPart(),
        new StyleTransferPart(),
        RecurrentPart.Rnn(),
        RecurrentPart.Lstm(),
        new CaptioningPart(),
        new TextClassificationPart(),
    };
}
