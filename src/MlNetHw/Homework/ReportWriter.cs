using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace MlNetHw.Homework;

/// <summary>Writes the main job's report: Markdown for reading in a repository, HTML with the images inline.</summary>
public static partial class ReportWriter
{
    public static string Markdown(IReadOnlyList<PartRecord> records, HomeworkOptions options, TimeSpan elapsed)
    {
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
            string headline = r.Ok ? string.Join("; ", r.Metrics.Take(3).Select(m => $"{m.Name} {Format(m)}")) : r.Error ?? "";
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
                sb.AppendLine("| result | measured | homework key |");
                sb.AppendLine("| --- | ---: | --- |");
                foreach (var m in r.Metrics) sb.AppendLine($"| {Cell(m.Name)} | {Format(m)} | {Cell(m.Reference ?? "")} |");
            }
            foreach (var block in r.Markdown) { sb.AppendLine(); sb.AppendLine(block.TrimEnd()); }
            foreach (var img in r.Images) { sb.AppendLine(); sb.AppendLine($"![{img.Caption}]({img.Path})"); sb.AppendLine(); sb.AppendLine($"*{img.Caption}*"); }
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
                sb.AppendLine($"<h{level}>{Inline(line[level..].Trim())}</h{level}>");
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
                    sb.AppendLine("<tr>" + string.Concat(cells.Select(c => $"<{tag}>{Inline(c.Trim().Replace("\\|", "|"))}</{tag}>")) + "</tr>");
                    header = false;
                }
                i--;
                sb.AppendLine("</table>");
            }
            else if (ImageLine().Match(line) is { Success: true } img)
            {
                string src = img.Groups[2].Value, full = Path.Combine(reportDir, src);
                if (File.Exists(full))
                {
                    string mime = full.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? "image/png" : "image/jpeg";
                    src = $"data:{mime};base64,{Convert.ToBase64String(File.ReadAllBytes(full))}";
                }
                sb.AppendLine($"<p><img alt=\"{WebUtility.HtmlEncode(img.Groups[1].Value)}\" src=\"{src}\"></p>");
            }
            else if (line.StartsWith("<details", StringComparison.Ordinal) || line.StartsWith("</details", StringComparison.Ordinal)) sb.AppendLine(line);
            else if (line.Trim().Length > 0) sb.AppendLine($"<p>{Inline(line)}</p>");
        }
        sb.AppendLine("</body></html>");
        return sb.ToString();
    }

    static string Inline(string text)
    {
        string s = WebUtility.HtmlEncode(text);
        s = Bold().Replace(s, "<b>$1</b>");
        s = Code().Replace(s, "<code>$1</code>");
        return Italic().Replace(s, "<i>$1</i>");
    }

    [GeneratedRegex(@"^\|(\s*:?-+:?\s*\|)+\s*$")] private static partial Regex SeparatorRow();
    [GeneratedRegex(@"(?<!\\)\|")] private static partial Regex CellSplit();
    [GeneratedRegex(@"^!\[(.*)\]\((.+)\)\s*$")] private static partial Regex ImageLine();
    [GeneratedRegex(@"\*\*(.+?)\*\*")] private static partial Regex Bold();
    [GeneratedRegex(@"`(.+?)`")] private static partial Regex Code();
    [GeneratedRegex(@"(?<![\w*])\*(?!\s)(.+?)\*(?![\w*])")] private static partial Regex Italic();
}
