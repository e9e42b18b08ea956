import { App } from "cdktf";
import { EnvironmentConfig } from "./config";
import { ImagingPipelineStack } from "./imaging-pipeline-stack";

export function stackName(env: EnvironmentConfig): string {
  return `imgsec-${env.name}`;
}

/** One app, one imaging pipeline stack per environment. */
export function buildApp(outdir: string, environments: EnvironmentConfig[]): App {
  const app = new App({ outdir, skipValidation: false });
  for (const env of environments) new ImagingPipelineStack(app, stackName(env), env);
  return app;
}
