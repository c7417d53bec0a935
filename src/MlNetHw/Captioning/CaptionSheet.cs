using MlNetHw.Backbones;
using MlNetHw.IO;
using System.Text;
using MlNetHw.Reporting;
using SkiaSharp;

namespace MlNetHw.Captioning;

/// <summary>One captioned image as shown in a sheet and in the metrics JSON.</summary>
public sealed record CaptionSample(string Split, string Id, string? ImagePath, string Generated, IReadOnlyList<string> References);

/// <summary>A titled table of samples in a <see cref="CaptionSheet"/>.</summary>
public sealed record CaptionSheetSection(string Title, string Description, IReadOnlyList<CaptionSample> Samples);

/// <summary>
/// Writes the human-readable result of a captioning run: a Markdown page with the settings, metrics, loss curve and
/// tables of images with their generated and reference captions. Images are copied next to it as PNG thumbnails
/// (<c>images/…png</c>), so the folder can be zipped or published as it is.
/// </summary>
public static class CaptionSheet
{
    /// <summary>Longest side of the thumbnails, in pixels.</summary>
    public const int ThumbnailSize = 128;

    /// <param name="path">The Markdown file to write.</param>
    /// <param name="title">Page title.</param>
    /// <param name="preamble">Lines written before the tables (settings, metrics, the loss-curve image).</param>
    /// <param name="sections">Sample tables.</param>
    public static void Write(string path, string title, IEnumerable<string> preamble, IEnumerable<CaptionSheetSection> sections)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var md = new StringBuilder();
        md.AppendLine($"# {title}").AppendLine();
        foreach (var line in preamble) md.AppendLine(line);
        md.AppendLine();
        foreach (var section in sections)
        {
            md.AppendLine($"## {section.Title}").AppendLine();
            if (section.Description.Length > 0) md.AppendLine(section.Description).AppendLine();
            md.AppendLine("| image | generated | references | BLEU-1 of this image |");
            md.AppendLine("| --- | --- | --- | --- |");
            foreach (var s in section.Samples)
            {
                string cell = s.Id;
                if (s.ImagePath is not null)
                {
                    string rel = ThumbnailName(s);
                    string? error = WriteThumbnail(s.ImagePath, Path.Combine(folder, rel));
                    cell = error is null ? $"![{Escape(s.Id)}]({rel})<br>{Escape(s.Id)}" : $"{Escape(s.Id)} (image not shown: {Escape(error)})";
                }
                double bleu1 = s.References.Any(r => CaptionCodec.Tokenize(r).Count > 0) && CaptionCodec.Tokenize(s.Generated).Count > 0
                    ? Bleu.Corpus(new[] { s.Generated }, new[] { s.References }).Bleu1 : 0;
                string refs = string.Join("<br>", s.References.Select(Escape));
                md.AppendLine($"| {cell} | **{Escape(s.Generated)}** | {refs} | {bleu1:0.00} |");
            }
            md.AppendLine();
        }
        AtomicFile.Write(path, stream =>
        {
            using var w = new StreamWriter(stream, new UTF8Encoding(false));
            w.Write(md.ToString());
        });
    }

    /// <summary>Writes a PNG thumbnail of <paramref name="source"/>; returns an error message instead of throwing.</summary>
    static string? WriteThumbnail(string source, string target)
    {
        if (ResNet18Featurizer.CheckImage(source) is { } error) return error;
        using var bitmap = SKBitmap.Decode(source);
        float scale = Math.Min(1f, (float)ThumbnailSize / Math.Max(bitmap.Width, bitmap.Height));
        if (scale >= 1f)
        {
            ImageFiles.SavePng(bitmap, target);
            return null;
        }
        var info = new SKImageInfo(Math.Max(1, (int)(bitmap.Width * scale)), Math.Max(1, (int)(bitmap.Height * scale)));
        using var small = bitmap.Resize(info, SKFilterQuality.Medium);
        ImageFiles.SavePng(small ?? bitmap, target);
        return null;
    }

    /// <summary>Where <see cref="Write"/> puts a sample's thumbnail, relative to the sheet's folder.</summary>
    public static string ThumbnailName(CaptionSample s) => $"images/{Sanitize(s.Split)}_{Sanitize(s.Id)}.png";

    static string Sanitize(string s) => new(s.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());

    /// <summary>Makes text safe inside a Markdown table cell.</summary>
    public static string Escape(string s) => s.Replace("|", "\\|").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\n", " ");
}
