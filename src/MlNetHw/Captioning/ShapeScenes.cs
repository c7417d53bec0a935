using MlNetHw.Reporting;
using SkiaSharp;

namespace MlNetHw.Captioning;

/// <summary>One drawn shape: attributes (the words of the caption) and geometry (pixels).</summary>
public sealed record SceneShape(string Colour, string Shape, string Size, float X, float Y, float Radius)
{
    /// <summary>"small red circle".</summary>
    public string Phrase => $"{Size} {Colour} {Shape}";
    /// <summary>"red circle": the attribute combination that may be held out of training.</summary>
    public string Combination => $"{Colour} {Shape}";
}

/// <summary>
/// One generated image: 1–3 shapes and the captions that describe it. <see cref="Layout"/> says how the shapes
/// are arranged ("single", "horizontal" = first shape left of the second, "vertical" = first above the second,
/// "row" = three shapes listed left to right).
/// </summary>
public sealed record Scene(int Id, string Layout, IReadOnlyList<SceneShape> Shapes, IReadOnlyList<string> Captions)
{
    /// <summary>True when any of the scene's shapes is one of the colour–shape <paramref name="combinations"/> ("red circle").</summary>
    public bool Contains(IReadOnlyCollection<string> combinations) => Shapes.Any(s => combinations.Contains(s.Combination));
}

/// <summary>Settings of the generated scene set; every default is the one the captioning pipeline uses.</summary>
public sealed class ShapeSceneOptions
{
    /// <summary>Training scenes (each gives 3–4 captions). Default 1200.</summary>
    public int TrainScenes { get; set; } = 1200;
    /// <summary>Validation scenes; each contains at least one held-out combination. Default 200.</summary>
    public int ValScenes { get; set; } = 200;
    /// <summary>Side of the square PNG in pixels (the featurizer resizes to 224). Default 128.</summary>
    public int ImageSize { get; set; } = 128;
    /// <summary>Seed of the scene sampler: the same seed gives the same scenes, pixels and captions.</summary>
    public int Seed { get; set; } = 0;
    /// <summary>
    /// Colour–shape combinations never drawn in training scenes; every validation scene has at least one, so
    /// validation measures whether the model composes attributes it saw separately. Default: red triangle, green
    /// circle, blue square (each colour and each shape still appears in training with other partners).
    /// </summary>
    public IReadOnlyList<string> HeldOut { get; set; } = new[] { "red triangle", "green circle", "blue square" };
}

/// <summary>
/// The default captioning data: images the project renders itself with SkiaSharp (no captioned photos exist offline).
/// A scene has 1–3 shapes with a colour (6), a shape (3), a size (2) and, for several shapes, a relative position;
/// each scene comes with several phrasings of the same content, like COCO's five captions per image.
/// </summary>
public static class ShapeScenes
{
    /// <summary>The six colour words.</summary>
    public static readonly IReadOnlyList<string> Colours = new[] { "red", "green", "blue", "yellow", "purple", "orange" };
    /// <summary>The three shape words.</summary>
    public static readonly IReadOnlyList<string> Shapes = new[] { "circle", "square", "triangle" };
    /// <summary>The two size words.</summary>
    public static readonly IReadOnlyList<string> Sizes = new[] { "small", "large" };

    static readonly Dictionary<string, SKColor> Rgb = new()
    {
        ["red"] = new SKColor(220, 30, 30), ["green"] = new SKColor(30, 160, 50), ["blue"] = new SKColor(30, 70, 220),
        ["yellow"] = new SKColor(240, 205, 20), ["purple"] = new SKColor(140, 40, 170), ["orange"] = new SKColor(250, 130, 10),
    };

    /// <summary>Samples the training and validation scenes (no pixels yet); deterministic in <see cref="ShapeSceneOptions.Seed"/>.</summary>
    public static (IReadOnlyList<Scene> Train, IReadOnlyList<Scene> Val) Generate(ShapeSceneOptions options)
    {
        var held = options.HeldOut.Select(s => s.Trim().ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        foreach (var h in held)
        {
            var parts = h.Split(' ');
            if (parts.Length != 2 || !Colours.Contains(parts[0]) || !Shapes.Contains(parts[1]))
                throw new ArgumentException($"held-out combination '{h}' must be '<colour> <shape>' with a colour in {string.Join("|", Colours)} and a shape in {string.Join("|", Shapes)}.");
        }
        var allowedTrain = (from c in Colours from s in Shapes where !held.Contains($"{c} {s}") select (c, s)).ToArray();
        var all = (from c in Colours from s in Shapes select (c, s)).ToArray();
        var heldPairs = all.Where(p => held.Contains($"{p.c} {p.s}")).ToArray();
        if (heldPairs.Length == 0 && options.ValScenes > 0)
            throw new ArgumentException("validation scenes need at least one held-out combination.");
        var rng = new Random(options.Seed);
        var train = new List<Scene>();
        for (int i = 0; i < options.TrainScenes; i++) train.Add(Sample(rng, i, options.ImageSize, allowedTrain, null));
        var val = new List<Scene>();
        for (int i = 0; i < options.ValScenes; i++) val.Add(Sample(rng, i, options.ImageSize, all, heldPairs));
        return (train, val);
    }

    static Scene Sample(Random rng, int id, int size, (string c, string s)[] pool, (string c, string s)[]? mustContainOneOf)
    {
        double u = rng.NextDouble();
        int count = u < 0.3 ? 1 : u < 0.7 ? 2 : 3;
        // Distinct colour–shape pairs inside one scene, so "the red circle" is never ambiguous.
        var pairs = new List<(string c, string s)>();
        if (mustContainOneOf is not null) pairs.Add(mustContainOneOf[rng.Next(mustContainOneOf.Length)]);
        while (pairs.Count < count)
        {
            var p = pool[rng.Next(pool.Length)];
            if (!pairs.Contains(p)) pairs.Add(p);
        }
        // Shuffle so a held-out shape is not always first (left / above).
        for (int i = pairs.Count - 1; i > 0; i--) { int j = rng.Next(i + 1); (pairs[i], pairs[j]) = (pairs[j], pairs[i]); }

        float scale = size / 128f;
        float Radius(string sz) => (sz == "small" ? 9 + 2 * (float)rng.NextDouble() : 17 + 3 * (float)rng.NextDouble()) * scale;
        float Jitter(float amount) => (float)(rng.NextDouble() * 2 - 1) * amount * scale;
        var sizes = pairs.Select(_ => Sizes[rng.Next(Sizes.Count)]).ToList();
        var shapes = new List<SceneShape>();
        string layout;
        if (count == 1)
        {
            layout = "single";
            float r = Radius(sizes[0]);
            float margin = r + 4 * scale;
            shapes.Add(new SceneShape(pairs[0].c, pairs[0].s, sizes[0],
                margin + (float)rng.NextDouble() * (size - 2 * margin), margin + (float)rng.NextDouble() * (size - 2 * margin), r));
        }
        else if (count == 2)
        {
            bool horizontal = rng.NextDouble() < 0.5;
            layout = horizontal ? "horizontal" : "vertical";
            float across = size / 2f + Jitter(22);
            for (int k = 0; k < 2; k++)
            {
                float along = (k == 0 ? 34 : 94) * scale + Jitter(4);
                float other = across + Jitter(6);
                float r = Radius(sizes[k]);
                shapes.Add(horizontal
                    ? new SceneShape(pairs[k].c, pairs[k].s, sizes[k], along, other, r)
                    : new SceneShape(pairs[k].c, pairs[k].s, sizes[k], other, along, r));
            }
        }
        else
        {
            layout = "row";
            float across = size / 2f + Jitter(24);
            for (int k = 0; k < 3; k++)
                shapes.Add(new SceneShape(pairs[k].c, pairs[k].s, sizes[k], (22 + 42 * k) * scale + Jitter(1.5f), across + Jitter(6), Radius(sizes[k])));
        }
        return new Scene(id, layout, shapes, Phrasings(layout, shapes));
    }

    /// <summary>Every phrasing of a scene's content (3 or 4 captions).</summary>
    public static IReadOnlyList<string> Phrasings(string layout, IReadOnlyList<SceneShape> s)
    {
        switch (layout)
        {
            case "single":
                return new[]
                {
                    $"a {s[0].Phrase}",
                    $"there is a {s[0].Phrase}",
                    $"one {s[0].Phrase}",
                    $"a {s[0].Colour} {s[0].Shape} that is {s[0].Size}",
                };
            case "horizontal":
            case "vertical":
                bool h = layout == "horizontal";
                return new[]
                {
                    $"a {s[0].Phrase} {(h ? "left of" : "above")} a {s[1].Phrase}",
                    $"a {s[1].Phrase} {(h ? "right of" : "below")} a {s[0].Phrase}",
                    $"a {s[0].Phrase} and a {s[1].Phrase}",
                    $"two shapes : a {s[0].Phrase} and a {s[1].Phrase}",
                };
            case "row":
                return new[]
                {
                    $"a {s[0].Phrase} , a {s[1].Phrase} and a {s[2].Phrase}",
                    $"{s[0].Phrase} then {s[1].Phrase} then {s[2].Phrase}",
                    $"three shapes : {s[0].Phrase} , {s[1].Phrase} , {s[2].Phrase}",
                };
            default:
                throw new ArgumentException($"unknown layout '{layout}'.", nameof(layout));
        }
    }

    /// <summary>Draws a scene on a white canvas of <paramref name="size"/>² pixels.</summary>
    public static SKBitmap Render(Scene scene, int size)
    {
        var bitmap = new SKBitmap(size, size);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        foreach (var sh in scene.Shapes)
        {
            using var paint = new SKPaint { Color = Rgb[sh.Colour], IsAntialias = true, Style = SKPaintStyle.Fill };
            switch (sh.Shape)
            {
                case "circle":
                    canvas.DrawCircle(sh.X, sh.Y, sh.Radius, paint);
                    break;
                case "square":
                    float half = sh.Radius * 0.9f;
                    canvas.DrawRect(sh.X - half, sh.Y - half, 2 * half, 2 * half, paint);
                    break;
                case "triangle":
                    using (var path = new SKPath())
                    {
                        path.MoveTo(sh.X, sh.Y - sh.Radius);
                        path.LineTo(sh.X + sh.Radius * 0.95f, sh.Y + sh.Radius * 0.8f);
                        path.LineTo(sh.X - sh.Radius * 0.95f, sh.Y + sh.Radius * 0.8f);
                        path.Close();
                        canvas.DrawPath(path, paint);
                    }
                    break;
                default:
                    throw new InvalidOperationException($"unknown shape '{sh.Shape}'.");
            }
        }
        return bitmap;
    }

    /// <summary>
    /// Generates the scene set and writes its PNGs under <paramref name="folder"/> (<c>train/</c>, <c>val/</c>);
    /// files that already exist with the same name are rewritten (rendering is cheap and deterministic).
    /// </summary>
    public static CaptionDataset WriteDataset(ShapeSceneOptions options, string folder)
    {
        var (train, val) = Generate(options);
        List<CaptionedImage> Write(IReadOnlyList<Scene> scenes, string split) => scenes.Select(sc =>
        {
            string path = Path.Combine(folder, split, $"scene_{sc.Id:D5}.png");
            using (var bmp = Render(sc, options.ImageSize)) ImageFiles.SavePng(bmp, path);
            return new CaptionedImage($"{split}/{sc.Id:D5}", Path.GetFullPath(path), sc.Captions);
        }).ToList();
        var notes = new List<string>
        {
            $"generated shape scenes, seed {options.Seed}: {train.Count} train / {val.Count} val images of {options.ImageSize}x{options.ImageSize} px, 1-3 shapes each",
            $"held out of training (every val image has at least one): {string.Join(", ", options.HeldOut)}",
        };
        return new CaptionDataset($"generated shape scenes (seed {options.Seed})", Write(train, "train"), Write(val, "val"), notes);
    }
}
