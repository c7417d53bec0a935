using System.Globalization;
using SkiaSharp;

namespace MlNetHw.Data;

/// <summary>
/// The one check of an image file, shared by every reader of images (image folders, style transfer's content and style
/// images, the vision batch source, the ResNet18 featurizer): the header must decode, the size must be within
/// <see cref="MaxPixels"/> (checked from the header, before the pixels are allocated), and every pixel must decode:
/// a truncated PNG or JPEG has a valid header but comes back incomplete, and is refused naming the file.
/// </summary>
public static class ImageFile
{
    /// <summary>Largest image accepted, in pixels (default 100 million: 400 MB decoded as RGBA).</summary>
    public static long MaxPixels { get; set; } = 100_000_000;

    /// <summary>Null when <paramref name="path"/> is a complete, decodable image within the size limit; else the reason (without the path).</summary>
    public static string? Problem(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) return "file not found";
            if (info.Length == 0) return "empty file";
            using var codec = SKCodec.Create(path, out var result);
            if (codec is null) return $"not a decodable image ({result}; PNG, JPEG, BMP, GIF or WebP expected, {info.Length} bytes)";
            if (codec.Info.Width <= 0 || codec.Info.Height <= 0) return "zero-sized image";
            if (SizeProblem(codec.Info.Width, codec.Info.Height) is { } tooLarge) return tooLarge;
            using var bitmap = DecodePixels(codec, out var decoded);
            return decoded == SKCodecResult.Success ? null : $"decoding failed ({decoded}: truncated or corrupt)";
        }
        catch (IOException e) { return e.Message; }
        catch (UnauthorizedAccessException e) { return e.Message; }
    }

    /// <summary>Decodes <paramref name="path"/> completely; a damaged, truncated or oversized image throws <see cref="InvalidDataException"/> naming it (and <paramref name="role"/>, e.g. "--content").</summary>
    public static SKBitmap Decode(string path, string? role = null)
    {
        string who = role is null ? $"image '{path}'" : $"{role}: image '{path}'";
        if (!File.Exists(path)) throw new FileNotFoundException($"{who} does not exist.", path);
        try
        {
            using var codec = SKCodec.Create(path, out var result)
                ?? throw new InvalidDataException($"{who} is not a readable image ({result}; PNG, JPEG, BMP, GIF or WebP expected, {new FileInfo(path).Length} bytes).");
            if (codec.Info.Width <= 0 || codec.Info.Height <= 0) throw new InvalidDataException($"{who} has no pixels.");
            if (SizeProblem(codec.Info.Width, codec.Info.Height) is { } tooLarge) throw new InvalidDataException($"{who}: {tooLarge}.");
            var bitmap = DecodePixels(codec, out var decoded);
            if (decoded != SKCodecResult.Success)
            {
                bitmap.Dispose();
                throw new InvalidDataException($"{who} could not be decoded completely ({decoded}: the file is truncated or corrupt).");
            }
            return bitmap;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{who} could not be read: {e.Message}", e);
        }
    }

    /// <summary>Null when a <paramref name="width"/>×<paramref name="height"/> image is within <see cref="MaxPixels"/>; else the reason with a memory estimate.</summary>
    public static string? SizeProblem(int width, int height)
    {
        long pixels = (long)width * height;
        if (pixels <= MaxPixels) return null;
        return string.Create(CultureInfo.InvariantCulture,
            $"{width}x{height} pixels ({pixels / 1e6:0.#} Mpx, {pixels * 4 / 1e9:0.##} GB decoded) is above the limit of {MaxPixels / 1e6:0.#} Mpx; scale it down first");
    }

    static SKBitmap DecodePixels(SKCodec codec, out SKCodecResult result)
    {
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        var bitmap = new SKBitmap(info);
        result = codec.GetPixels(info, bitmap.GetPixels());
        return bitmap;
    }
}
