using System.Globalization;
using System.Numerics;

namespace YoloDistill.Detector.Evaluation;

/// <summary>Python's '{:0.Nf}' for doubles: the exact binary value rounded half-to-even, so printed lines match pycocotools'.</summary>
public static class PythonFormat
{
    public static string Fixed(double value, int digits)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";
        bool neg = value < 0 || (value == 0 && double.IsNegative(value));
        // Exact value = mantissa * 2^exp; scale by 10^digits and round half to even with big integers.
        long bits = BitConverter.DoubleToInt64Bits(Math.Abs(value));
        int exp = (int)((bits >> 52) & 0x7FF);
        long frac = bits & 0xFFFFFFFFFFFFFL;
        BigInteger mant = exp == 0 ? frac : frac | (1L << 52);
        int e2 = (exp == 0 ? 1 : exp) - 1075;
        BigInteger num = mant * BigInteger.Pow(10, digits), den = BigInteger.One;
        if (e2 >= 0) num <<= e2; else den <<= -e2;
        var q = BigInteger.DivRem(num, den, out var rem);
        var twice = rem * 2;
        if (twice > den || (twice == den && !q.IsEven)) q += 1;
        var s = q.ToString(CultureInfo.InvariantCulture).PadLeft(digits + 1, '0');
        var text = digits == 0 ? s : s[..^digits] + "." + s[^digits..];
        return neg ? "-" + text : text;
    }
}
