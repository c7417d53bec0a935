using MlNetHw.Captioning;
using MlNetHw.MlNet.Training;

namespace MlNetHw.Tests.Captioning;

/// <summary>Loop settings for the captioning tests: an experiment's defaults with the sizes a test needs.</summary>
static class Loop
{
    public static TrainerOptions Of(int epochs, int batch, double? lr = null, double? decay = null, string experiment = "overfit", string device = "auto")
    {
        var t = CaptioningExperiment.DefaultTraining(experiment, quick: false);
        t.Epochs = epochs;
        t.BatchSize = batch;
        if (lr is { } l) t.LearningRate = l;
        if (decay is { } d) t.Gamma = d;
        t.Device = device;
        return t;
    }
}
