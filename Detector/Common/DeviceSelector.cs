using TorchSharp;

namespace YoloDistill.Detector.Common;

/// <summary>Turns the user's --device text into a torch device; "auto" picks CUDA when present.</summary>
public static class DeviceSelector
{
    public static torch.Device Parse(string? spec)
    {
        var s = (spec ?? "auto").Trim().ToLowerInvariant();
        if (s is "" or "auto") return torch.cuda.is_available() ? torch.CUDA : torch.CPU;
        if (s == "cpu") return torch.CPU;
        if (s.StartsWith("cuda") || int.TryParse(s, out _))
        {
            if (!torch.cuda.is_available())
                throw new ArgumentException($"--device {spec}: CUDA is not available in this build or on this machine " +
                                            "(build with -p:TorchBackend=cuda on a machine with an NVIDIA GPU).");
            return int.TryParse(s, out var idx) ? new torch.Device(DeviceType.CUDA, idx) : new torch.Device(s);
        }
        throw new ArgumentException($"--device {spec}: expected cpu, cuda, cuda:N or auto.");
    }
}
