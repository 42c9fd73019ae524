// The ECharts that Reach's charts need, and nothing else: built by
// scripts/setup.sh with esbuild into public/vendor/echarts.<hash>.js, a
// classic script that defines `window.echarts` (where charming's renderer
// looks for it). Add a chart type or component here before using it in
// app/src/components/chart.rs.
import { use } from 'echarts/core';
import { BarChart, LineChart, ScatterChart } from 'echarts/charts';
import {
  DataZoomInsideComponent,
  DataZoomSliderComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TooltipComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

use([
  BarChart,
  LineChart,
  ScatterChart,
  DataZoomInsideComponent,
  DataZoomSliderComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TooltipComponent,
  CanvasRenderer,
]);

export * from 'echarts/core';
