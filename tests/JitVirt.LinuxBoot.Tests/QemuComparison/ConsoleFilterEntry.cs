using System.Text.RegularExpressions;

namespace JitVirt.LinuxBoot.Tests.QemuComparison;

/// <summary>What a <see cref="ConsoleFilterEntry"/> does with the console lines its pattern matches.</summary>
public enum ConsoleFilterAction
{
    /// <summary>Replace every match in the line with <see cref="ConsoleFilterEntry.Replacement"/> (on both consoles).</summary>
    Rewrite,
    /// <summary>Remove the whole line from both consoles.</summary>
    Drop,
    /// <summary>
    /// Keep the line but compare it outside the line order: the kernel prints it from another thread or a
    /// timer, so where it lands among the other lines depends on timing, not on the hardware.
    /// </summary>
    Unordered,
}

/// <summary>
/// One reviewed difference between JitVirt's and QEMU's console for the same kernel and command line:
/// the lines it applies to, what is done with them, and why the difference is legitimate.
/// </summary>
public sealed record ConsoleFilterEntry(string Name, ConsoleFilterAction Action, Regex Pattern, string Reason, string Replacement = "")
{
    public static ConsoleFilterEntry Rewrite(string name, string pattern, string replacement, string reason) =>
        new(name, ConsoleFilterAction.Rewrite, Compile(pattern), reason, replacement);

    public static ConsoleFilterEntry Drop(string name, string pattern, string reason) =>
        new(name, ConsoleFilterAction.Drop, Compile(pattern), reason);

    public static ConsoleFilterEntry Unordered(string name, string pattern, string reason) =>
        new(name, ConsoleFilterAction.Unordered, Compile(pattern), reason);

    private static Regex Compile(string pattern) => new(pattern, RegexOptions.CultureInvariant);
}
