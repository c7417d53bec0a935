using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace MlNetHw.Homework;

/// <summary>Writes the main job's report: Markdown for reading in a repository, HTML with the images inline.</summary>
public static partial class ReportWriter
{
    /// <summary>The report as Markdown: the summary table, then each part's metrics, images, settings and usage, with image paths relative to the report folder.</summary>
    /// <param name="records">The parts' records, in report order.</param>
    /// <param name="options">The run's settings: size, seed and device for the header, the report folder for relative paths.</param>
    /// <param name="elapsed">Wall time of the whole run, shown in the header.</param>
    public static string Markdown(IReadOnlyList<PartRecord> records, HomeworkOptions options, TimeSpan elapsed)
    {
        string reportDir = options.ReportFolder;
        var sb = new StringBuilder();
        sb.AppendLine("# MlNetHw: homework report");
        sb.AppendLine();
        sb.AppendLine($"Size `{options.Size}`, seed {options.Run.Seed}, device `{options.Run.Device}`, written {DateTime.UtcNow:u}, " +
                      $"wall time of this run {elapsed.TotalMinutes:0.0} min, {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}.");
        sb.AppendLine();
        sb.AppendLine("| part | title | status | wall time (s) | headline |");
        sb.AppendLine("| --- | --- | --- | ---: | --- |");
        foreach (var r in records)
        {
            string headline = r.Ok ? string.Join("; ", Headlines(r).Select(m => $"{m.Name} {Format(m)}")) : r.Error ?? "";
            sb.AppendLine($"| {r.Number} | {r.Title} | {(r.Ok ? "ok" : "**FAILED**")}{(r.Reused ? " (earlier run)" : "")} | {r.WallSeconds:0.0} | {Cell(headline)} |");
        }
        foreach (var r in records)
        {
            sb.AppendLine();
            sb.AppendLine($"## Part {r.Number}: {r.Title}");
            sb.AppendLine();
            sb.AppendLine($"Status: **{(r.Ok ? "ok" : "FAILED")}**, wall time {r.WallSeconds:0.0} s, finished {r.FinishedUtc:u}{(r.Reused ? " (up to date, reused from an earlier run)" : "")}.");
            if (!r.Ok)
            {
                sb.AppendLine();
                sb.AppendLine("```");
                sb.AppendLine(r.Error);
                sb.AppendLine("```");
                continue;
            }
            if (r.Metrics.Count > 0)
            {
                sb.AppendLine();
                sb.AppendLine("### Results");
                sb.AppendLine();
                sb.AppendLine("| result | measured | homework key |");
                sb.AppendLine("| --- | ---: | --- |");
                foreach (var m in r.Metrics) sb.AppendLine($"| {Cell(m.Name)} | {Format(m)} | {Cell(m.Reference ?? "")} |");
            }
            foreach (var block in r.Markdown) { sb.AppendLine(); sb.AppendLine(DemoteHeadings(block.TrimEnd(), 3)); }
            if (r.Images.Count > 0)
            {
                sb.AppendLine();
                sb.AppendLine("### Figures");
                foreach (var img in r.Images)
                {
                    sb.AppendLine();
                    sb.AppendLine($"![{img.Caption}]({img.Path})");
                    sb.AppendLine();
                    string svg = Path.ChangeExtension(img.Path, ".svg");
                    bool hasSvg = img.Path.EndsWith(".png", StringComparison.OrdinalIgnoreCase) && File.Exists(Path.Combine(reportDir, svg));
                    sb.AppendLine($"*{img.Caption}* (`{img.Path}`{(hasSvg ? $", [SVG]({svg})" : "")})");
                }
            }
            if (!string.IsNullOrWhiteSpace(r.Usage))
            {
                sb.AppendLine();
                sb.AppendLine("### How to use these models");
                sb.AppendLine();
                sb.AppendLine(r.Usage.TrimEnd());
            }
            if (r.Settings.Count > 0)
            {
                sb.AppendLine();
                sb.AppendLine("<details><summary>settings</summary>");
                sb.AppendLine();
                sb.AppendLine("| setting | value |");
                sb.AppendLine("| --- | --- |");
                foreach (var (k, v) in r.Settings.OrderBy(kv => kv.Key, StringComparer.Ordinal)) sb.AppendLine($"| {Cell(k)} | {Cell(v)} |");
                sb.AppendLine();
                sb.AppendLine("</details>");
            }
        }
        return sb.ToString();
    }

    /// <summary>The summary table's numbers: the part's headline metrics (every model's main number), else its first three.</summary>
    static IEnumerable<PartMetric> Headlines(PartRecord r) =>
        r.Metrics.Any(m => m.Headline) ? r.Metrics.Where(m => m.Headline) : r.Metrics.Take(3);

    /// <summary>
    /// Shifts a part's Markdown headings so its top level is <paramref name="level"/> (the report is # title, ## part,
    /// ### sections): a block written as a page of its own ("# Confusion matrices") becomes a section of its part.
    /// </summary>
    internal static string DemoteHeadings(string block, int level)
    {
        var lines = block.Replace("\r", "").Split('\n');
        bool fence = false;
        var levels = new List<int>();
        foreach (var l in lines)
        {
            if (l.StartsWith("```", StringComparison.Ordinal)) fence = !fence;
            else if (!fence && HeadingLine().IsMatch(l)) levels.Add(l.TakeWhile(c => c == '#').Count());
        }
        if (levels.Count == 0 || levels.Min() >= level) return block;
        int shift = level - levels.Min();
        fence = false;
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("```", StringComparison.Ordinal)) fence = !fence;
            else if (!fence && HeadingLine().IsMatch(lines[i])) lines[i] = new string('#', Math.Min(6, lines[i].TakeWhile(c => c == '#').Count() + shift)) + lines[i].TrimStart('#');
        }
        return string.Join("\n", lines);
    }

    static string Format(PartMetric m) => m.Value.ToString(m.Format, CultureInfo.InvariantCulture);

    static string Cell(string s) => s.Replace("|", "\\|").Replace("\n", " ");

    /// <summary>Renders the report's Markdown subset (headings, tables, images, code, paragraphs) as one HTML file with images inlined.</summary>
    public static string Html(string markdown, string reportDir)
    {
        var sb = new StringBuilder();
        sb.AppendLine("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>MlNetHw homework report</title><style>");
        sb.AppendLine("body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}table{border-collapse:collapse;margin:1em 0}" +
                      "td,th{border:1px solid #ccc;padding:4px 8px}img{max-width:100%}pre{background:#f4f4f4;padding:1em;overflow:auto}");
        sb.AppendLine("</style></head><body>");
        var lines = markdown.Replace("\r", "").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                sb.Append("<pre>");
                while (++i < lines.Length && !lines[i].StartsWith("```", StringComparison.Ordinal)) sb.AppendLine(WebUtility.HtmlEncode(lines[i]));
                sb.AppendLine("</pre>");
            }
            else if (line.StartsWith('#'))
            {
                int level = line.TakeWhile(c => c == '#').Count();
                sb.AppendLine($"<h{level}>{Inline(line[level..].Trim(), reportDir)}</h{level}>");
            }
            else if (line.StartsWith('|'))
            {
                sb.AppendLine("<table>");
                bool header = true;
                for (; i < lines.Length && lines[i].StartsWith('|'); i++)
                {
                    if (SeparatorRow().IsMatch(lines[i])) continue;
                    string tag = header ? "th" : "td";
                    var cells = CellSplit().Split(lines[i].Trim().Trim('|'));
                    sb.AppendLine("<tr>" + string.Concat(cells.Select(c => $"<{tag}>{Inline(c.Trim().Replace("\\|", "|"), reportDir)}</{tag}>")) + "</tr>");
                    header = false;
                }
                i--;
                sb.AppendLine("</table>");
            }
            else if (ImageLine().Match(line) is { Success: true } img)
                sb.AppendLine($"<p>{ImageTag(img.Groups[1].Value, img.Groups[2].Value, reportDir)}</p>");
            else if (line.StartsWith("<details", StringComparison.Ordinal) || line.StartsWith("</details", StringComparison.Ordinal)) sb.AppendLine(line);
            else if (line.Trim().Length > 0) sb.AppendLine($"<p>{Inline(line, reportDir)}</p>");
        }
        sb.AppendLine("</body></html>");
        return sb.ToString();
    }

    /// <summary>An img tag; an image inside the report folder is inlined as a data URI, so the HTML is one file.</summary>
    static string ImageTag(string alt, string src, string reportDir)
    {
        string full = Path.Combine(reportDir, WebUtility.HtmlDecode(src));
        if (File.Exists(full))
        {
            string mime = full.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? "image/png"
                : full.EndsWith(".svg", StringComparison.OrdinalIgnoreCase) ? "image/svg+xml" : "image/jpeg";
            src = $"data:{mime};base64,{Convert.ToBase64String(File.ReadAllBytes(full))}";
        }
        return $"<img alt=\"{WebUtility.HtmlEncode(WebUtility.HtmlDecode(alt))}\" src=\"{src}\">";
    }

    static string Inline(string text, string reportDir)
    {
        string s = WebUtility.HtmlEncode(text);
        // Images (caption thumbnails in tables) and links are taken before code, bold and italic spans.
        s = InlineImage().Replace(s, m => ImageTag(m.Groups[1].Value, m.Groups[2].Value, reportDir));
        s = Link().Replace(s, "<a href=\"$2\">$1</a>");
        s = s.Replace("&lt;br&gt;", "<br>");
        s = Bold().Replace(s, "<b>$1</b>");
        s = Code().Replace(s, "<code>$1</code>");
        return Italic().Replace(s, "<i>$1</i>");
    }

    [GeneratedRegex(@"^\|(\s*:?-+:?\s*\|)+\s*$")] private static partial Regex SeparatorRow();
    [GeneratedRegex(@"(?<!\\)\|")] private static partial Regex CellSplit();
    [GeneratedRegex(@"^!\[(.*)\]\((.+)\)\s*$")] private static partial Regex ImageLine();
    [GeneratedRegex(@"!\[([^\]]*)\]\(([^)\s]+)\)")] private static partial Regex InlineImage();
    [GeneratedRegex(@"(?<!!)\[([^\]]+)\]\(([^)\s]+)\)")] private static partial Regex Link();
    [GeneratedRegex(@"^#{1,6}\s")] private static partial Regex HeadingLine();
    [GeneratedRegex(@"\*\*(.+?)\*\*")] private static partial Regex Bold();
    [GeneratedRegex(@"`(.+?)`")] private static partial Regex Code();
    [GeneratedRegex(@"(?<![\w*])\*(?!\s)(.+?)\*(?![\w*])")] private static partial Regex Italic();
}
