namespace YoloDistill.Detector.Data;

/// <summary>Image size from the file header alone (JPEG SOF, PNG IHDR, BMP), so checking sizes does not decode pixels.</summary>
public static class ImageHeader
{
    /// <summary>Width and height, or null when the header is not a JPEG/PNG/BMP header we can read.</summary>
    public static (int Width, int Height)? TryReadSize(string path)
    {
        using var f = File.OpenRead(path);
        Span<byte> head = stackalloc byte[26];
        int n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (n >= 24 && head[0] == 0x89 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G')
            return (BigEndian32(head[16..]), BigEndian32(head[20..]));
        if (n >= 26 && head[0] == 'B' && head[1] == 'M')
            return (BitConverter.ToInt32(head[18..]), Math.Abs(BitConverter.ToInt32(head[22..])));
        if (n >= 4 && head[0] == 0xFF && head[1] == 0xD8)
        {
            f.Position = 2;
            return ReadJpegSof(f);
        }
        return null;
    }

    /// <summary>True when the file is a JPEG by its magic bytes.</summary>
    public static bool IsJpeg(string path)
    {
        using var f = File.OpenRead(path);
        return f.ReadByte() == 0xFF && f.ReadByte() == 0xD8;
    }

    /// <summary>A complete JPEG ends with the EOI marker FF D9 (trailing zero padding tolerated); truncated downloads do not.</summary>
    public static bool JpegHasEndMarker(string path)
    {
        using var f = File.OpenRead(path);
        if (f.Length < 4) return false;
        int tail = (int)Math.Min(f.Length, 64);
        f.Position = f.Length - tail;
        var buf = new byte[tail];
        f.ReadExactly(buf);
        int i = tail - 1;
        while (i > 0 && buf[i] == 0x00) i--;
        return i >= 1 && buf[i - 1] == 0xFF && buf[i] == 0xD9;
    }

    static (int, int)? ReadJpegSof(Stream f)
    {
        Span<byte> seg = stackalloc byte[7];
        while (true)
        {
            int b = f.ReadByte();
            if (b < 0) return null;
            if (b != 0xFF) continue;
            int marker;
            do marker = f.ReadByte(); while (marker == 0xFF);
            if (marker < 0) return null;
            if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;
            if (marker == 0xD9 || marker == 0xDA) return null;
            int hi = f.ReadByte(), lo = f.ReadByte();
            if (hi < 0 || lo < 0) return null;
            int len = (hi << 8) | lo;
            bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
            if (sof)
            {
                if (f.ReadAtLeast(seg[..5], 5, throwOnEndOfStream: false) < 5) return null;
                int h = (seg[1] << 8) | seg[2], w = (seg[3] << 8) | seg[4];
                return (w, h);
            }
            if (len < 2) return null;
            f.Seek(len - 2, SeekOrigin.Current);
        }
    }

    static int BigEndian32(ReadOnlySpan<byte> b) => (b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
}
