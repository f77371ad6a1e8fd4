using System.Text;
using Iced.Intel;

namespace JitVirt.Cli.Tests;

/// <summary>Runs the real <c>jitvirt</c> command in-process with captured stdout/stderr, and builds flat guest images.</summary>
public static class CliHarness
{
    public sealed record Result(int Status, string Stdout, string Stderr)
    {
        public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        public override string ToString() => $"status {Status}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
    }

    public static Result Run(FrontEndCatalog? catalog, params string[] args)
    {
        using var stdout = new MemoryStream();
        using var stderr = new StringWriter();
        int status = JitVirtCli.Run(args, stdout, stderr, default, catalog);
        return new Result(status, Encoding.UTF8.GetString(stdout.ToArray()), stderr.ToString());
    }

    public static Result Run(params string[] args) => Run(null, args);

    /// <summary>Where the flat loader enters a -kernel that is neither ELF nor bzImage (0000:7C00).</summary>
    public const ushort Origin = 0x7C00;
    public const ushort Com1 = 0x3F8;
    public const ushort DebugExitPort = 0xF4;

    /// <summary>Assembles a 16-bit real-mode guest and writes it to a temporary file; the caller deletes it.</summary>
    public static string FlatKernel(Action<Assembler> emit) => WriteTemp(Assemble(16, Origin, emit));

    /// <summary>The machine code of <paramref name="emit"/> for <paramref name="bitness"/>, placed at <paramref name="origin"/>.</summary>
    public static byte[] Assemble(int bitness, ulong origin, Action<Assembler> emit)
    {
        var a = new Assembler(bitness);
        emit(a);
        var writer = new BytesWriter();
        a.Assemble(writer, origin);
        return writer.ToArray();
    }

    /// <summary>Writes <paramref name="bytes"/> to a new temporary file and returns its path; the caller deletes it.</summary>
    public static string WriteTemp(byte[] bytes, string extension = ".bin")
    {
        string path = Path.Combine(Path.GetTempPath(), $"jitvirt-cli-{Guid.NewGuid():N}{extension}");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>OUT each byte of <paramref name="text"/> to COM1's transmit register (one OUT per byte).</summary>
    public static void Print(Assembler a, string text)
    {
        a.mov(AssemblerRegisters.dx, Com1);
        foreach (byte b in Encoding.ASCII.GetBytes(text))
        {
            a.mov(AssemblerRegisters.al, b);
            a.@out(AssemblerRegisters.dx, AssemblerRegisters.al);
        }
    }

    /// <summary>Writes <paramref name="value"/> to isa-debug-exit at F4h (one more OUT).</summary>
    public static void DebugExit(Assembler a, byte value)
    {
        a.mov(AssemblerRegisters.al, value);
        a.@out((byte)DebugExitPort, AssemblerRegisters.al);
        var spin = a.CreateLabel();
        a.Label(ref spin);
        a.hlt();
        a.jmp(spin);
    }

    public static void SpinForever(Assembler a)
    {
        var spin = a.CreateLabel();
        a.Label(ref spin);
        a.jmp(spin);
    }

    private sealed class BytesWriter : CodeWriter
    {
        private readonly List<byte> _bytes = [];
        public override void WriteByte(byte value) => _bytes.Add(value);
        public byte[] ToArray() => [.. _bytes];
    }

    public sealed class TempFile : IDisposable
    {
        public TempFile(string path) => Path = path;
        public TempFile() : this(System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"jitvirt-cli-{Guid.NewGuid():N}")) { }
        public string Path { get; }
        public void Dispose() { if (File.Exists(Path)) File.Delete(Path); }
    }
}
