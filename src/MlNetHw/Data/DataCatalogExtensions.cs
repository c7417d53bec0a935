using Microsoft.ML;

namespace MlNetHw.Data;

/// <summary>
/// The readers reachable the ML.NET way, from <c>mlContext.Data</c>:
/// <code>IDataView train = mlContext.Data.LoadLabeledSentences("train.txt");</code>
/// </summary>
public static class DataCatalogExtensions
{
    /// <summary><c>LABEL sentence</c> file → <c>Label</c> (bool), <c>Text</c>. See <see cref="LabeledSentenceReader"/>.</summary>
    public static IDataView LoadLabeledSentences(this DataOperationsCatalog catalog, string path) =>
        LabeledSentenceReader.Load(catalog, path);

    /// <summary>One image-folder split (<c>FOLDER/CLASS/image</c>) → <c>ImagePath</c>, <c>Label</c> (string).
    /// See <see cref="ImageFolderReader"/>.</summary>
    public static IDataView LoadImageFolder(this DataOperationsCatalog catalog, string splitFolder, ImageFolderOptions? options = null) =>
        ImageFolderReader.Load(catalog, ImageFolderReader.ReadSplit(splitFolder, options));

    /// <summary>IDX image + label files → <c>Label</c> (uint), <c>Features</c> (floats in [0, 1]). See <see cref="IdxReader"/>.</summary>
    public static IDataView LoadIdx(this DataOperationsCatalog catalog, string imagesPath, string labelsPath) =>
        IdxReader.Load(catalog, imagesPath, labelsPath);

    /// <summary>COCO captions JSON (+ image folder) → one row per caption: <c>ImageId</c>, <c>ImagePath</c>, <c>Caption</c>.</summary>
    public static IDataView LoadCocoCaptions(this DataOperationsCatalog catalog, string jsonPath, string? imageFolder = null) =>
        CocoCaptionsReader.Load(catalog, CocoCaptionsReader.Read(jsonPath, imageFolder));

    /// <summary>GloVe text vectors → <c>Word</c>, <c>Vector</c>. See <see cref="GloVeReader"/>.</summary>
    public static IDataView LoadWordVectors(this DataOperationsCatalog catalog, string path, IReadOnlySet<string>? vocabulary = null) =>
        GloVeReader.Load(catalog, GloVeReader.Read(path, vocabulary));

}
