using System.Globalization;

namespace JitVirt.Cli;

/// <summary>
/// QEMU's -m syntax: a number with an optional K, M, G or T suffix (binary units, optionally followed by
/// "B" or "iB"); a bare number means MiB. The result must be a whole number of 4 KiB pages.
/// </summary>
public static class MemorySize
{
    public static ulong Parse(string text)
    {
        string s = text.Trim();
        if (s.StartsWith("size=", StringComparison.OrdinalIgnoreCase)) s = s[5..];
        int digits = 0;
        while (digits < s.Length && char.IsAsciiDigit(s[digits])) digits++;
        if (digits == 0 || !ulong.TryParse(s.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out ulong number))
            throw new UsageException($"invalid memory size '{text}' (expected e.g. 256M or 1G)");
        string suffix = s[digits..].ToUpperInvariant();
        if (suffix.EndsWith("IB", StringComparison.Ordinal)) suffix = suffix[..^2];
        else if (suffix.Length > 1 && suffix.EndsWith('B')) suffix = suffix[..^1];
        int shift = suffix switch
        {
            "" or "M" => 20,
            "K" => 10,
            "G" => 30,
            "T" => 40,
            "B" when s.Length == digits + 1 => 0,
            _ => throw new UsageException($"invalid memory size '{text}' (unknown suffix '{s[digits..]}')"),
        };
        if (number == 0 || number > (ulong.MaxValue >> shift)) throw new UsageException($"invalid memory size '{text}'");
        ulong bytes = number << shift;
        if ((bytes & 0xFFF) != 0) throw new UsageException($"invalid memory size '{text}' (not a multiple of 4 KiB)");
        return bytes;
    }
}
