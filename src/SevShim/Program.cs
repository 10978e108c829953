// containerd-shim-sevshim-v2: everything is wired in Hosting/ShimHost.cs (the composition root).
return await SevShim.Hosting.ShimHost.RunAsync(args);
