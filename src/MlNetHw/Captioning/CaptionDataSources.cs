namespace MlNetHw.Captioning;

/// <summary>
/// Captioning data other than the generated scenes, chosen by the <c>--data</c> value: a COCO captions JSON file or
/// a folder of cs231n HDF5 files.
/// </summary>
public static class CaptionDataSources
{
    /// <summary>Loads the data set named by <paramref name="data"/> (a path).</summary>
    public static CaptionDataset Load(string data, bool quick)
    {
        if (!File.Exists(data) && !Directory.Exists(data))
            throw new FileNotFoundException($"--data '{data}': no such file or folder (use 'generated', a COCO captions JSON file or a cs231n HDF5 folder).", data);
        throw new NotSupportedException($"--data '{data}': COCO JSON and cs231n HDF5 readers are not available in this build; use --data generated.");
    }
}
